// Kubernetes objects as the tests read them from `kubectl kustomize` (kustomize.ts), and the few
// accessors the manifest checks share.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as parsed from YAML: checked against the schemas by k8s-schema.ts. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** An image reference (name[:tag][@digest]) in its parts. */
export function splitImage(reference: string): { name: string; tag?: string; digest?: string } {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A colon after the last slash is a tag; one before it belongs to a registry's port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest !== undefined ? { digest } : {}) };
  }
  return { name: rest, ...(digest !== undefined ? { digest } : {}) };
}

/** The pod spec of a Deployment, Job, StatefulSet, DaemonSet or CronJob (or a Pod's own spec). */
export function podSpec(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object.spec;
  if (!isObject(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const jobTemplate = spec.jobTemplate;
    const jobSpec = isObject(jobTemplate) ? jobTemplate.spec : undefined;
    const template = isObject(jobSpec) ? jobSpec.template : undefined;
    return isObject(template) && isObject(template.spec) ? template.spec : undefined;
  }
  const template = spec.template;
  return isObject(template) && isObject(template.spec) ? template.spec : undefined;
}

/** Containers and init containers of an object's pod template. */
export function podContainers(object: K8sObject): Record<string, unknown>[] {
  const spec = podSpec(object);
  if (!spec) return [];
  return [...asArray(spec.initContainers), ...asArray(spec.containers)];
}
