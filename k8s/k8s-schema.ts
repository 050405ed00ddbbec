import { validate as validateConfigMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as validateNamespace } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as validateSecret } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import { validate as validateService } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as validateServiceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as validateDeployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as validateHpa } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler';
import { validate as validateJob } from 'kubernetes-models/_schemas/IoK8sApiBatchV1Job';
import { validate as validateIngress } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress';
import { validate as validatePdb } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { isObject, type K8sObject } from './k8s-objects.js';

// Offline validation of rendered objects against the Kubernetes OpenAPI schemas, as compiled
// validators shipped by kubernetes-models. Those validators check types, formats, enums and
// required fields but accept unknown fields, which the API server rejects (kubectl's default
// --validate=strict) and which is how a typo (`readinesProbe`) would go unnoticed. So validation
// runs on a Proxy of the object that records which properties the validator looks up: every
// property of a schema-defined object is looked up, and maps (labels, ConfigMap data) are
// iterated instead. A key the validator neither looked up nor reached by iterating its object is
// unknown to the schema.

type ValidateFunction = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

const VALIDATORS: Record<string, ValidateFunction> = {
  'v1/ConfigMap': validateConfigMap,
  'v1/Namespace': validateNamespace,
  'v1/Secret': validateSecret,
  'v1/Service': validateService,
  'v1/ServiceAccount': validateServiceAccount,
  'apps/v1/Deployment': validateDeployment,
  'autoscaling/v2/HorizontalPodAutoscaler': validateHpa,
  'batch/v1/Job': validateJob,
  'networking.k8s.io/v1/Ingress': validateIngress,
  'policy/v1/PodDisruptionBudget': validatePdb,
};

/** Problems of one object: schema violations and unknown fields, each with its JSON path. */
export function schemaProblems(object: K8sObject): string[] {
  const validate = VALIDATORS[`${object.apiVersion}/${object.kind}`];
  if (!validate) return [`no schema for ${object.apiVersion} ${object.kind} (add its validator to k8s-schema.ts)`];

  const lookedUp = new Map<object, Set<string>>();
  const iterated = new Set<object>();
  const proxies = new WeakMap<object, object>();
  const watch = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const known = proxies.get(value);
    if (known) return known;
    const keys = new Set<string>();
    lookedUp.set(value, keys);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') keys.add(key);
        return watch(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        if (typeof key === 'string') keys.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        iterated.add(target);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };

  const problems: string[] = [];
  if (!validate(watch(object))) {
    for (const error of validate.errors ?? []) {
      problems.push(`${error.instancePath || '/'}: ${error.keyword} ${JSON.stringify(error.params)}`);
    }
  }
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}/${index}`));
      return;
    }
    if (!isObject(value)) return;
    const keys = lookedUp.get(value);
    const isMap = iterated.has(value);
    for (const [key, child] of Object.entries(value)) {
      if (!isMap && !keys?.has(key)) {
        problems.push(`${path}/${key}: unknown field`);
        continue;
      }
      visit(child, `${path}/${key}`);
    }
  };
  visit(object, '');
  return problems;
}
