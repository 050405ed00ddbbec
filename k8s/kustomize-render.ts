import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// `kustomize build` for the tests, which run where no kustomize binary may be (and nothing can be
// downloaded). It implements the subset of kustomize that k8s/ uses, with kustomize's semantics,
// and refuses any other field, so a manifest can never rely on something rendered differently
// here: resources (files and directories), namespace, images, configMapGenerator and
// secretGenerator (envs, literals, behavior create/merge/replace, kustomize's content-hash name
// suffix and the rewriting of references to it) and JSON 6902 patches with a target.
// kustomize-render.test.ts compares the output with `kubectl kustomize` where kubectl exists.

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

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  envs?: string[];
  literals?: string[];
  type?: string;
}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface PatchTarget {
  kind: string;
  name: string;
}

interface Patch {
  target: PatchTarget;
  path?: string;
  patch?: string;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  namespace?: string;
  images?: ImageOverride[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: Patch[];
}

type JsonPatchOperation = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'images',
  'configMapGenerator',
  'secretGenerator',
  'patches',
]);
const SUPPORTED_GENERATOR_FIELDS = new Set(['name', 'behavior', 'envs', 'literals', 'type']);
const SUPPORTED_IMAGE_FIELDS = new Set(['name', 'newName', 'newTag', 'digest']);
const SUPPORTED_PATCH_FIELDS = new Set(['target', 'path', 'patch']);
const SUPPORTED_TARGET_FIELDS = new Set(['kind', 'name']);

/** Kinds among those k8s/ uses that have no namespace. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'IngressClass',
  'PriorityClass',
]);

/** The result of one kustomization, before the generated names get their hash suffix. */
interface Rendered {
  objects: K8sObject[];
  /** ConfigMaps and Secrets made by generators; they get kustomize's content-hash suffix. */
  generated: Set<K8sObject>;
}

export class KustomizeError extends Error {}

/** Renders the kustomization in `dir` as `kustomize build dir` would (within the supported subset). */
export function renderKustomization(dir: string): K8sObject[] {
  const { objects, generated } = renderDirectory(resolve(dir));
  const renamed = new Map<string, string>();
  for (const object of generated) {
    const name = `${object.metadata.name}-${kustomizeHash(object)}`;
    renamed.set(`${object.kind}/${object.metadata.name}`, name);
    object.metadata.name = name;
  }
  for (const object of objects) rewriteReferences(object, renamed);
  return objects;
}

function renderDirectory(dir: string): Rendered {
  const kustomization = readKustomization(dir);
  const objects: K8sObject[] = [];
  const generated = new Set<K8sObject>();

  for (const entry of kustomization.resources ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new KustomizeError(`${dir}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      const sub = renderDirectory(path);
      objects.push(...sub.objects);
      for (const object of sub.generated) generated.add(object);
    } else {
      objects.push(...readObjects(path));
    }
  }
  assertUnique(objects, dir);

  for (const generator of kustomization.configMapGenerator ?? []) {
    applyGenerator(dir, 'ConfigMap', generator, objects, generated);
  }
  for (const generator of kustomization.secretGenerator ?? []) {
    applyGenerator(dir, 'Secret', generator, objects, generated);
  }
  for (const patch of kustomization.patches ?? []) applyPatch(dir, patch, objects);
  if (kustomization.namespace !== undefined) {
    const namespace = kustomization.namespace;
    for (const object of objects) {
      if (!CLUSTER_SCOPED_KINDS.has(object.kind)) object.metadata.namespace = namespace;
    }
  }
  for (const image of kustomization.images ?? []) {
    for (const object of objects) {
      for (const container of podContainers(object)) {
        if (typeof container.image === 'string') container.image = overrideImage(container.image, image);
      }
    }
  }
  return { objects, generated };
}

function readKustomization(dir: string): Kustomization {
  const path = join(dir, 'kustomization.yaml');
  if (!existsSync(path)) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  if (raw === null || typeof raw !== 'object') throw new KustomizeError(`${path}: not a mapping`);
  rejectUnsupported(path, raw, SUPPORTED_FIELDS);
  if (raw.kind !== undefined && raw.kind !== 'Kustomization')
    throw new KustomizeError(`${path}: kind ${JSON.stringify(raw.kind)}`);
  const kustomization = raw as Kustomization;
  for (const generator of [...(kustomization.configMapGenerator ?? []), ...(kustomization.secretGenerator ?? [])]) {
    rejectUnsupported(`${path} generator ${generator.name}`, generator, SUPPORTED_GENERATOR_FIELDS);
  }
  for (const image of kustomization.images ?? [])
    rejectUnsupported(`${path} image ${image.name}`, image, SUPPORTED_IMAGE_FIELDS);
  for (const patch of kustomization.patches ?? []) {
    rejectUnsupported(`${path} patch`, patch, SUPPORTED_PATCH_FIELDS);
    if (patch.target === undefined) throw new KustomizeError(`${path}: a patch without a target is not supported`);
    rejectUnsupported(`${path} patch target`, patch.target, SUPPORTED_TARGET_FIELDS);
    if ((patch.path === undefined) === (patch.patch === undefined)) {
      throw new KustomizeError(`${path}: a patch needs exactly one of path and patch`);
    }
  }
  return kustomization;
}

function rejectUnsupported(where: string, value: object, supported: Set<string>): void {
  const unsupported = Object.keys(value).filter((key) => !supported.has(key));
  if (unsupported.length > 0) {
    throw new KustomizeError(`${where}: unsupported field(s) ${unsupported.join(', ')} (see kustomize-render.ts)`);
  }
}

/** Every non-empty YAML document of a file, each a Kubernetes object. */
export function readObjects(path: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
    if (document.errors.length > 0) throw new KustomizeError(`${path}: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
      throw new KustomizeError(`${path}: a document is not a Kubernetes object`);
    }
    const metadata = value.metadata;
    if (!isObject(metadata) || typeof metadata.name !== 'string') {
      throw new KustomizeError(`${path}: a ${value.kind} has no metadata.name`);
    }
    objects.push(value as K8sObject);
  }
  return objects;
}

function assertUnique(objects: K8sObject[], dir: string): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    if (seen.has(id)) throw new KustomizeError(`${dir}: ${id} is defined twice`);
    seen.add(id);
  }
}

// ---- generators

function applyGenerator(
  dir: string,
  kind: 'ConfigMap' | 'Secret',
  generator: Generator,
  objects: K8sObject[],
  generated: Set<K8sObject>,
): void {
  const data = new Map<string, string>();
  for (const file of generator.envs ?? []) {
    for (const [key, value] of parseEnvFile(readFileSync(resolve(dir, file), 'utf8'), file)) data.set(key, value);
  }
  for (const literal of generator.literals ?? []) {
    const [key, value] = splitAssignment(literal, `${generator.name} literal`);
    data.set(key, value);
  }
  const behavior = generator.behavior ?? 'create';
  const existing = objects.find((object) => object.kind === kind && object.metadata.name === generator.name);

  if (behavior === 'create') {
    if (existing) throw new KustomizeError(`${dir}: ${kind} ${generator.name} already exists (use behavior merge)`);
    const object: K8sObject =
      kind === 'ConfigMap'
        ? { apiVersion: 'v1', kind, metadata: { name: generator.name }, data: Object.fromEntries(data) }
        : {
            apiVersion: 'v1',
            kind,
            metadata: { name: generator.name },
            type: generator.type ?? 'Opaque',
            data: Object.fromEntries([...data].map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
          };
    objects.push(object);
    generated.add(object);
    return;
  }
  if (!existing || !generated.has(existing)) {
    throw new KustomizeError(
      `${dir}: behavior ${behavior} needs a generated ${kind} ${generator.name} in the resources`,
    );
  }
  const encode = (value: string): string => (kind === 'Secret' ? Buffer.from(value).toString('base64') : value);
  const current = behavior === 'merge' ? ((existing.data as Record<string, string> | undefined) ?? {}) : {};
  existing.data = { ...current, ...Object.fromEntries([...data].map(([key, value]) => [key, encode(value)])) };
}

/** kustomize's env files: KEY=VALUE lines; blank lines and lines starting with # are skipped. */
export function parseEnvFile(text: string, file: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [key, value] = splitAssignment(line.replace(/^\s+/, ''), file);
    entries.set(key, value);
  }
  return entries;
}

function splitAssignment(text: string, where: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new KustomizeError(`${where}: "${text}" is not KEY=VALUE`);
  return [text.slice(0, equals), text.slice(equals + 1)];
}

/**
 * kustomize's name suffix of a generated ConfigMap or Secret: SHA-256 of Go's JSON encoding of
 * {data, kind, name: "", type (Secrets)}, its first 10 hex digits with 0 1 3 a e replaced by
 * g h k m t (so it never spells a word, kustomize says).
 */
export function kustomizeHash(object: K8sObject): string {
  const encoded: Record<string, unknown> = { kind: object.kind, name: '', data: object.data ?? {} };
  if (object.kind === 'Secret') encoded.type = object.type ?? 'Opaque';
  const json = goJson(sortKeys(encoded));
  const hex = createHash('sha256').update(json).digest('hex');
  const swaps: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((char) => swaps[char] ?? char).join('');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

/** JSON.stringify with Go encoding/json's HTML-safe escapes. */
function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Points every reference to a generated ConfigMap or Secret at its suffixed name. */
function rewriteReferences(object: K8sObject, renamed: Map<string, string>): void {
  const rename = (kind: 'ConfigMap' | 'Secret', name: unknown): string | undefined =>
    typeof name === 'string' ? renamed.get(`${kind}/${name}`) : undefined;
  const spec = podSpec(object);
  if (!spec) return;
  const containers = podContainers(object);
  for (const container of containers) {
    for (const source of asArray(container.envFrom)) {
      const configMap = source.configMapRef;
      if (isObject(configMap)) configMap.name = rename('ConfigMap', configMap.name) ?? configMap.name;
      const secret = source.secretRef;
      if (isObject(secret)) secret.name = rename('Secret', secret.name) ?? secret.name;
    }
    for (const variable of asArray(container.env)) {
      const from = variable.valueFrom;
      if (!isObject(from)) continue;
      const configMap = from.configMapKeyRef;
      if (isObject(configMap)) configMap.name = rename('ConfigMap', configMap.name) ?? configMap.name;
      const secret = from.secretKeyRef;
      if (isObject(secret)) secret.name = rename('Secret', secret.name) ?? secret.name;
    }
  }
  for (const volume of asArray(spec.volumes)) {
    const configMap = volume.configMap;
    if (isObject(configMap)) configMap.name = rename('ConfigMap', configMap.name) ?? configMap.name;
    const secret = volume.secret;
    if (isObject(secret)) secret.secretName = rename('Secret', secret.secretName) ?? secret.secretName;
  }
}

// ---- patches

function applyPatch(dir: string, patch: Patch, objects: K8sObject[]): void {
  const text = patch.path !== undefined ? readFileSync(resolve(dir, patch.path), 'utf8') : (patch.patch ?? '');
  const operations: unknown = parse(text);
  if (!Array.isArray(operations)) {
    throw new KustomizeError(`${dir}: only JSON 6902 patches (a list of operations) are supported`);
  }
  const targets = objects.filter(
    (object) => object.kind === patch.target.kind && object.metadata.name === patch.target.name,
  );
  if (targets.length === 0) throw new KustomizeError(`${dir}: no ${patch.target.kind} ${patch.target.name} to patch`);
  for (const target of targets) {
    for (const operation of operations) applyJsonPatchOperation(target, operation as JsonPatchOperation);
  }
}

/** One RFC 6902 operation (add, replace, remove), in place. */
export function applyJsonPatchOperation(document: object, operation: JsonPatchOperation): void {
  if (!['add', 'replace', 'remove'].includes(operation.op)) {
    throw new KustomizeError(`unsupported JSON patch op ${String(operation.op)}`);
  }
  const tokens = operation.path
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = tokens.pop();
  if (last === undefined) throw new KustomizeError(`JSON patch path ${operation.path} names the whole document`);
  let parent: unknown = document;
  for (const token of tokens) {
    const next: unknown = Array.isArray(parent)
      ? parent[arrayIndex(token, parent.length - 1)]
      : isObject(parent)
        ? parent[token]
        : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new KustomizeError(`JSON patch path ${operation.path}: ${token} does not exist`);
    }
    parent = next;
  }
  const value = 'value' in operation ? structuredClone(operation.value) : undefined;
  if (Array.isArray(parent)) {
    if (operation.op === 'add') {
      const index = last === '-' ? parent.length : arrayIndex(last, parent.length);
      parent.splice(index, 0, value);
    } else {
      const index = arrayIndex(last, parent.length - 1);
      if (operation.op === 'replace') parent[index] = value;
      else parent.splice(index, 1);
    }
    return;
  }
  if (!isObject(parent)) throw new KustomizeError(`JSON patch path ${operation.path}: parent is not a container`);
  if (operation.op !== 'add' && !(last in parent)) {
    throw new KustomizeError(`JSON patch path ${operation.path}: ${last} does not exist`);
  }
  if (operation.op === 'remove') delete parent[last];
  else parent[last] = value;
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) > max) {
    throw new KustomizeError(`JSON patch index ${token} is out of range`);
  }
  return Number(token);
}

// ---- images

/** kustomize's `images` entry applied to one image reference (name[:tag][@digest]). */
export function overrideImage(reference: string, override: ImageOverride): string {
  const { name, tag, digest } = splitImage(reference);
  if (name !== override.name) return reference;
  const newName = override.newName ?? name;
  if (override.digest !== undefined) return `${newName}@${override.digest}`;
  if (override.newTag !== undefined) return `${newName}:${override.newTag}`;
  if (digest !== undefined) return `${newName}@${digest}`;
  return tag !== undefined ? `${newName}:${tag}` : newName;
}

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

// ---- pod templates

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

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}
