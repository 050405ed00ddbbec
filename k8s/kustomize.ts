import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { isObject, type K8sObject } from './k8s-objects.js';

// The manifest tests read exactly what a cluster would be sent: the output of `kubectl kustomize`
// (kubectl embeds kustomize v5), parsed as the multi-document YAML it prints. No stand-in renders
// them: .ci/run installs kubectl, and without it these tests fail saying so rather than skip.

export const KUBECTL_MISSING =
  'kubectl is not installed: the k8s/ tests render the kustomizations with `kubectl kustomize` ' +
  '(kustomize v5). Install kubectl (`bash .ci/run` does, with apt-get where the apt sources have it).';

/** The objects `kubectl kustomize <dir>` renders, in its order; throws with kubectl's own message on failure. */
export function kustomizeBuild(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw result.error;
  }
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${dir} failed (exit ${result.status}):\n${result.stderr.trim()}`);
  }
  return parseObjects(result.stdout, `kubectl kustomize ${dir}`);
}

/** Every non-empty document of a multi-document YAML text, each a Kubernetes object. */
export function parseObjects(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
      throw new Error(`${source}: a document is not a Kubernetes object`);
    }
    if (!isObject(value.metadata) || typeof value.metadata.name !== 'string') {
      throw new Error(`${source}: a ${value.kind} has no metadata.name`);
    }
    objects.push(value as K8sObject);
  }
  return objects;
}
