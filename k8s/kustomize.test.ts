import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kustomizeBuild, parseObjects } from './kustomize.js';

// The manifest tests trust kustomizeBuild to hand them every object kubectl renders, and to fail
// loudly rather than hand them nothing.

const fixtures = mkdtempSync(join(tmpdir(), 'kustomize-'));
afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

function kustomization(name: string, files: Record<string, string>): string {
  const dir = join(fixtures, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

describe('kustomizeBuild', () => {
  it('answers every object kubectl renders, generated names and the references to them included', () => {
    const dir = kustomization('sample', {
      'kustomization.yaml':
        'namespace: sample\nresources: [pod.yaml]\nconfigMapGenerator:\n  - { name: settings, literals: [A=1] }\n',
      'pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata: { name: web }\nspec:\n  containers:\n    - name: web\n      image: web:1\n      envFrom: [{ configMapRef: { name: settings } }]\n',
    });
    const objects = kustomizeBuild(dir);
    expect(objects.map((object) => `${object.kind}/${object.metadata.namespace}`)).toEqual([
      'ConfigMap/sample',
      'Pod/sample',
    ]);
    const [settings, pod] = objects;
    // kustomize's content-hash suffix, and the Pod's reference follows it.
    expect(settings?.metadata.name).toMatch(/^settings-[a-z0-9]{10}$/);
    expect(settings?.data).toEqual({ A: '1' });
    expect(JSON.stringify(pod?.spec)).toContain(`"name":"${settings?.metadata.name}"`);
  });

  it("fails with kubectl's own message when kubectl refuses the kustomization", () => {
    const dir = kustomization('broken', { 'kustomization.yaml': 'resources: [missing.yaml]\n' });
    expect(() => kustomizeBuild(dir)).toThrow(/kubectl kustomize .*broken failed \(exit 1\):\n.*missing\.yaml/s);
  });

  it('refuses a document that is not a Kubernetes object', () => {
    expect(parseObjects('---\napiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n---\n', 'x')).toHaveLength(1);
    expect(() => parseObjects('kind: Namespace\n', 'x')).toThrow('x: a document is not a Kubernetes object');
    expect(() => parseObjects('apiVersion: v1\nkind: Namespace\n', 'x')).toThrow('x: a Namespace has no metadata.name');
  });
});
