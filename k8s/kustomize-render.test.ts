import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyJsonPatchOperation,
  kustomizeHash,
  KustomizeError,
  overrideImage,
  parseEnvFile,
  renderKustomization,
  splitImage,
  type K8sObject,
  type ObjectMeta,
} from './kustomize-render.js';
import { REPO_ROOT } from './service-config.js';

const fixtures = mkdtempSync(join(tmpdir(), 'kustomize-render-'));
afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

/** Writes a kustomization tree ({ 'base/kustomization.yaml': '…', … }) and returns its root. */
function tree(name: string, files: Record<string, string>): string {
  const root = join(fixtures, name);
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      initContainers:
        - name: init
          image: registry.local:5000/tools/init:1.0
      containers:
        - name: web
          image: example/web
          envFrom:
            - configMapRef: { name: settings }
          env:
            - name: PASSWORD
              valueFrom:
                secretKeyRef: { name: credentials, key: PASSWORD }
            - name: LITERAL
              value: kept
          volumeMounts:
            - { name: files, mountPath: /files }
      volumes:
        - name: files
          configMap: { name: settings }
        - name: keys
          secret: { secretName: credentials }
        - name: other
          secret: { secretName: not-generated }
`;

const SAMPLE = {
  'base/kustomization.yaml': `
resources: [deployment.yaml, namespace.yaml]
configMapGenerator:
  - name: settings
    envs: [settings.env]
    literals: [EXTRA=a=b]
`,
  'base/deployment.yaml': DEPLOYMENT,
  'base/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: sample\n',
  'base/settings.env': '# a comment\n\nMODE=base\nKEEP=yes\n',
  'overlay/kustomization.yaml': `
namespace: sample
resources: [../base]
images:
  - name: example/web
    newName: registry.example.com/web
    newTag: "2.0"
  - name: registry.local:5000/tools/init
    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
configMapGenerator:
  - name: settings
    behavior: merge
    literals: [MODE=overlay]
secretGenerator:
  - name: credentials
    literals: [PASSWORD=s3cr3t]
patches:
  - target: { kind: Deployment, name: web }
    path: patch.yaml
  - target: { kind: Deployment, name: web }
    patch: |-
      - op: remove
        path: /spec/template/spec/containers/0/env/1
`,
  'overlay/patch.yaml': `
- op: add
  path: /metadata/annotations
  value: { example.com/ignored: "no" }
- op: add
  path: /metadata/annotations/example.com~1team
  value: chat
- op: add
  path: /spec/template/spec/containers/0/args
  value: [--serve]
- op: add
  path: /spec/template/spec/containers/0/args/-
  value: --verbose
- op: replace
  path: /spec/template/metadata/labels/app
  value: web
`,
};

interface SampleContainer {
  image: string;
  args?: string[];
  envFrom?: { configMapRef: { name: string } }[];
  env?: unknown[];
}

interface SampleDeployment {
  metadata: ObjectMeta;
  spec: {
    template: {
      spec: {
        containers: SampleContainer[];
        initContainers: SampleContainer[];
        volumes: { configMap?: { name: string }; secret?: { secretName: string } }[];
      };
    };
  };
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function kubectlKustomize(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as K8sObject);
}

const byId = (objects: K8sObject[]): Map<string, unknown> =>
  new Map(
    objects.map((object) => [
      `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`,
      JSON.parse(JSON.stringify(object)),
    ]),
  );

describe('kustomize-render', () => {
  it('names generated ConfigMaps and Secrets with kustomize’s content hash', () => {
    // Expected names printed by kustomize v5.5.0 (`kubectl kustomize`) for these generators.
    const configMap: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'vector' },
      data: { A: '1', B: 'x<&>y', C: '' },
    };
    expect(kustomizeHash(configMap)).toBe('6294dt88mf');
    const secret: K8sObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'vector' },
      type: 'Opaque',
      data: { K: 'dg==', URL: 'cG9zdGdyZXM6Ly91OnBAaDo1NDMyL2Q/YT0xJmI9Mg==' },
    };
    expect(kustomizeHash(secret)).toBe('tfb4dt57k5');
  });

  it('renders resources, generators, namespace, images and JSON patches, and rewrites references', () => {
    const objects = renderKustomization(join(tree('sample', SAMPLE), 'overlay'));
    const settings = objects.find((object) => object.kind === 'ConfigMap');
    const credentials = objects.find((object) => object.kind === 'Secret');
    expect(settings?.metadata.name).toBe(`settings-${kustomizeHash(settings as K8sObject)}`);
    expect(settings?.data).toEqual({ MODE: 'overlay', KEEP: 'yes', EXTRA: 'a=b' });
    expect(credentials?.metadata.name).toMatch(/^credentials-[a-z0-9]{10}$/);
    expect(credentials?.data).toEqual({ PASSWORD: Buffer.from('s3cr3t').toString('base64') });
    expect(credentials?.type).toBe('Opaque');

    const deployment = objects.find((object) => object.kind === 'Deployment') as unknown as SampleDeployment;
    expect(deployment.metadata.namespace).toBe('sample');
    expect(objects.find((object) => object.kind === 'Namespace')?.metadata.namespace).toBeUndefined();
    expect(deployment.metadata.annotations).toEqual({ 'example.com/ignored': 'no', 'example.com/team': 'chat' });
    const pod = deployment.spec.template.spec;
    const web = pod.containers[0] as SampleContainer;
    expect(web.image).toBe('registry.example.com/web:2.0');
    expect(pod.initContainers[0]?.image).toBe(
      'registry.local:5000/tools/init@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(web.args).toEqual(['--serve', '--verbose']);
    expect(web.envFrom?.[0]?.configMapRef.name).toBe(settings?.metadata.name);
    expect(web.env).toEqual([
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: credentials?.metadata.name, key: 'PASSWORD' } } },
    ]);
    expect(pod.volumes.map((volume) => volume.configMap?.name ?? volume.secret?.secretName)).toEqual([
      settings?.metadata.name,
      credentials?.metadata.name,
      'not-generated',
    ]);
  });

  it.each([
    ['an unsupported kustomization field', { 'kustomization.yaml': 'resources: [a.yaml]\ncommonLabels: { a: b }\n' }],
    [
      'a strategic merge patch',
      {
        'kustomization.yaml':
          'resources: [a.yaml]\npatches:\n  - target: { kind: Namespace, name: a }\n    patch: "metadata: { labels: { a: b } }"\n',
      },
    ],
    ['a patch without a target', { 'kustomization.yaml': 'resources: [a.yaml]\npatches:\n  - path: p.yaml\n' }],
    [
      'a patch of nothing',
      {
        'kustomization.yaml':
          'resources: [a.yaml]\npatches:\n  - target: { kind: Namespace, name: b }\n    patch: "[]"\n',
      },
    ],
    [
      'a replace of a missing path',
      {
        'kustomization.yaml':
          'resources: [a.yaml]\npatches:\n  - target: { kind: Namespace, name: a }\n    patch: "[{op: replace, path: /spec/x, value: 1}]"\n',
      },
    ],
    [
      'a generator that exists already',
      {
        'kustomization.yaml':
          'configMapGenerator:\n  - { name: c, literals: [A=1] }\n  - { name: c, literals: [B=1] }\n',
      },
    ],
    [
      'a merge with no base to merge into',
      { 'kustomization.yaml': 'configMapGenerator:\n  - { name: c, behavior: merge, literals: [A=1] }\n' },
    ],
    ['a missing resource', { 'kustomization.yaml': 'resources: [missing.yaml]\n' }],
    ['an object defined twice', { 'kustomization.yaml': 'resources: [a.yaml, a.yaml]\n' }],
  ])('refuses %s', (name, files) => {
    const dir = tree(name.replace(/\W+/g, '-'), {
      'a.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n',
      ...files,
    });
    expect(() => renderKustomization(dir)).toThrow(KustomizeError);
  });

  it('applies JSON patch operations as RFC 6902 says', () => {
    const document = { list: [1, 2, 3], map: { 'a/b': 1, 'c~d': 2 } };
    applyJsonPatchOperation(document, { op: 'add', path: '/list/1', value: 9 });
    applyJsonPatchOperation(document, { op: 'remove', path: '/list/0' });
    applyJsonPatchOperation(document, { op: 'replace', path: '/map/a~1b', value: 3 });
    applyJsonPatchOperation(document, { op: 'remove', path: '/map/c~0d' });
    expect(document).toEqual({ list: [9, 2, 3], map: { 'a/b': 3 } });
    expect(() => applyJsonPatchOperation(document, { op: 'replace', path: '/list/3', value: 0 })).toThrow(
      KustomizeError,
    );
    expect(() => applyJsonPatchOperation(document, { op: 'add', path: '/missing/x', value: 0 })).toThrow(
      KustomizeError,
    );
  });

  it('reads image references and env files as kustomize does', () => {
    expect(splitImage('registry:5000/a/b:1.2@sha256:ab')).toEqual({
      name: 'registry:5000/a/b',
      tag: '1.2',
      digest: 'sha256:ab',
    });
    expect(splitImage('registry:5000/a/b')).toEqual({ name: 'registry:5000/a/b' });
    expect(overrideImage('a/b:1', { name: 'a/b', newTag: '2' })).toBe('a/b:2');
    expect(overrideImage('a/b:1', { name: 'a/b', newName: 'r/a/b' })).toBe('r/a/b:1');
    expect(overrideImage('a/bc:1', { name: 'a/b', newTag: '2' })).toBe('a/bc:1');
    expect([...parseEnvFile('# c\n\nA=1\nB=x=y\nC=\n', 'f.env')]).toEqual([
      ['A', '1'],
      ['B', 'x=y'],
      ['C', ''],
    ]);
    expect(() => parseEnvFile('NOT AN ASSIGNMENT\n', 'f.env')).toThrow(KustomizeError);
  });

  // The reference: where kubectl (which embeds kustomize) is installed, both must agree exactly.
  it.skipIf(!kubectl)(
    'renders exactly what `kubectl kustomize` renders, for the fixture and every k8s/ kustomization',
    () => {
      const dirs = [
        join(tree('sample', SAMPLE), 'overlay'),
        join(REPO_ROOT, 'k8s/base'),
        ...readdirSync(join(REPO_ROOT, 'k8s/overlays')).map((overlay) => join(REPO_ROOT, 'k8s/overlays', overlay)),
      ];
      for (const dir of dirs) {
        expect(byId(renderKustomization(dir)), dir).toEqual(byId(kubectlKustomize(dir)));
      }
    },
  );
});
