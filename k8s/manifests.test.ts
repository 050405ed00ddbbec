import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startMetricsServer } from '../packages/shared/src/metrics-server.js';
import { loadApiConfig } from '../services/api/src/index.js';
import { schemaProblems } from './k8s-schema.js';
import { asArray, isObject, podContainers, podSpec, splitImage, type K8sObject } from './k8s-objects.js';
import { kustomizeBuild } from './kustomize.js';
import { coverageProblems, isCredential, MUST_AGREE, REPO_ROOT, SERVICES, type ServiceName } from './service-config.js';

// No cluster runs here, so k8s/ is checked the way a careful reviewer would: each kustomization
// (the base and every overlay) is rendered by `kubectl kustomize` itself, every object is validated against the Kubernetes
// schemas, and the wiring is compared with the services' source: the variables each container
// gets, the probes' paths and ports, and the Services, PodDisruptionBudgets, autoscalers and the
// Ingress that point at the Deployments.

type Json = Record<string, unknown>;

const K8S_DIR = join(REPO_ROOT, 'k8s');
const OVERLAYS = readdirSync(join(K8S_DIR, 'overlays')).map((overlay) => `overlays/${overlay}`);
const KUSTOMIZATIONS = ['base', ...OVERLAYS];
const README = readFileSync(join(K8S_DIR, 'README.md'), 'utf8');

/**
 * Values that stand in for a Secret provisioned outside kustomize (production's secret store), so
 * the services' loaders can check the configuration around them. k8s/README.md documents the keys.
 */
const EXTERNAL_SECRET_EXAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgres://helpdesk:example@postgres.example.internal:5432/helpdesk',
  REDIS_URL: 'rediss://default:example@redis.example.internal:6379',
  S3_ACCESS_KEY: 'example-access-key',
  S3_SECRET_KEY: 'example-secret-key',
  SECRET_KEY: 'example-socket-ticket-key-of-32-characters-or-more',
};

interface Variable {
  value: string | undefined;
  /** kind/name of the ConfigMap or Secret it comes from; undefined for a literal value. */
  source: string | undefined;
  /** Set when the value is a key of a Secret that the render does not contain. */
  externalSecret?: { name: string; key: string };
}

interface Workload {
  object: K8sObject;
  container: Json;
  service: ServiceName;
  variables: Map<string, Variable>;
  problems: string[];
}

const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((current, key) => (isObject(current) ? current[key] : undefined), value);

function serviceOfImage(image: unknown): ServiceName | undefined {
  if (typeof image !== 'string') return undefined;
  const { name } = splitImage(image);
  return (Object.keys(SERVICES) as ServiceName[]).find(
    (service) => name === SERVICES[service].image || name.endsWith(`/${SERVICES[service].image}`),
  );
}

function find(objects: K8sObject[], kind: string, name: unknown): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

/** The environment a container starts with: envFrom first, then env (which wins). */
function containerVariables(
  objects: K8sObject[],
  container: Json,
): { variables: Map<string, Variable>; problems: string[] } {
  const variables = new Map<string, Variable>();
  const problems: string[] = [];
  const decode = (value: unknown): string => Buffer.from(String(value), 'base64').toString('utf8');
  for (const source of asArray(container.envFrom)) {
    const configMapName = get(source, 'configMapRef', 'name');
    const secretName = get(source, 'secretRef', 'name');
    const kind = configMapName !== undefined ? 'ConfigMap' : 'Secret';
    const name = configMapName ?? secretName;
    const object = find(objects, kind, name);
    if (!object) {
      problems.push(`envFrom ${kind} ${String(name)} is not in the render (envFrom cannot be checked key by key)`);
      continue;
    }
    for (const [key, value] of Object.entries((object.data as Json | undefined) ?? {})) {
      const text = kind === 'Secret' ? decode(value) : String(value);
      variables.set(key, { value: text, source: `${kind}/${String(name)}` });
    }
  }
  for (const variable of asArray(container.env)) {
    const name = String(variable.name);
    if (typeof variable.value === 'string') {
      variables.set(name, { value: variable.value, source: undefined });
      continue;
    }
    const secretRef = get(variable, 'valueFrom', 'secretKeyRef');
    const configMapRef = get(variable, 'valueFrom', 'configMapKeyRef');
    const ref = (secretRef ?? configMapRef) as Json | undefined;
    if (!ref) {
      variables.set(name, { value: undefined, source: undefined });
      continue;
    }
    const kind = secretRef ? 'Secret' : 'ConfigMap';
    const refName = String(ref.name);
    const key = String(ref.key);
    const object = find(objects, kind, refName);
    if (!object) {
      if (kind === 'ConfigMap') problems.push(`${name}: ConfigMap ${refName} is not in the render`);
      variables.set(name, { value: undefined, source: `${kind}/${refName}`, externalSecret: { name: refName, key } });
      continue;
    }
    const data = (object.data as Json | undefined) ?? {};
    if (!(key in data)) problems.push(`${name}: ${kind} ${refName} has no key ${key}`);
    variables.set(name, {
      value: kind === 'Secret' ? decode(data[key]) : String(data[key]),
      source: `${kind}/${refName}`,
    });
  }
  return { variables, problems };
}

function workloads(objects: K8sObject[]): Workload[] {
  const found: Workload[] = [];
  for (const object of objects) {
    for (const container of podContainers(object)) {
      const service = serviceOfImage(container.image);
      if (!service) continue;
      found.push({ object, container, service, ...containerVariables(objects, container) });
    }
  }
  return found;
}

/** The environment the service's loader sees: the values, with examples for external secrets. */
function environmentOf(workload: Workload): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, variable] of workload.variables) {
    const value = variable.externalSecret ? EXTERNAL_SECRET_EXAMPLES[variable.externalSecret.key] : variable.value;
    if (value === undefined)
      throw new Error(`${name} has no value to check (add an example for ${variable.externalSecret?.key})`);
    env[name] = value;
  }
  return env;
}

function matches(selector: unknown, labels: unknown): boolean {
  if (!isObject(selector) || Object.keys(selector).length === 0 || !isObject(labels)) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The container port a probe or Service targetPort names (by name or by number). */
function containerPort(containers: Json[], port: unknown): number | undefined {
  for (const container of containers) {
    for (const entry of asArray(container.ports)) {
      if (entry.name === port || entry.containerPort === port) return entry.containerPort as number;
    }
  }
  return undefined;
}

/** Seconds a preStop hook delays SIGTERM by (exec `sleep N`, or the sleep action). */
function preStopSeconds(container: Json): number {
  const command = get(container, 'lifecycle', 'preStop', 'exec', 'command');
  if (Array.isArray(command) && command[0] === 'sleep') return Number(command[1]);
  const sleep = get(container, 'lifecycle', 'preStop', 'sleep', 'seconds');
  return typeof sleep === 'number' ? sleep : 0;
}

describe.each(KUSTOMIZATIONS)('k8s/%s', (kustomization) => {
  const objects = kustomizeBuild(join(K8S_DIR, kustomization));
  const found = workloads(objects);
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const helpdeskDeployments = found.filter((workload) => workload.object.kind === 'Deployment');

  it('renders the api and gateway Deployments and the migration Job', () => {
    const kinds = found.map((workload) => `${workload.object.kind}/${workload.service}`).sort();
    expect(kinds).toEqual(['Deployment/api', 'Deployment/gateway', 'Job/api']);
  });

  it('every object is valid against the Kubernetes schemas, with no unknown field', () => {
    const problems = objects.flatMap((object) =>
      schemaProblems(object).map((problem) => `${object.kind}/${object.metadata.name}${problem}`),
    );
    expect(problems).toEqual([]);
  });

  it('each container gets exactly the variables its service’s config.ts reads, credentials from Secrets', () => {
    for (const workload of found) {
      const where = `${workload.object.kind}/${workload.object.metadata.name}`;
      expect(workload.problems, where).toEqual([]);
      expect(coverageProblems(workload.service, workload.variables.keys()), where).toEqual([]);
      for (const [name, variable] of workload.variables) {
        if (isCredential(name)) expect(variable.source, `${where} ${name}`).toMatch(/^Secret\//);
      }
    }
    for (const configMap of objects.filter((object) => object.kind === 'ConfigMap')) {
      const credentials = Object.keys((configMap.data as Json | undefined) ?? {}).filter(isCredential);
      expect(credentials, `ConfigMap/${configMap.metadata.name}`).toEqual([]);
    }
  });

  it('the values load with the services’ own configuration loaders', () => {
    for (const workload of found) {
      expect(
        () => SERVICES[workload.service].loadConfig(environmentOf(workload)),
        workload.object.metadata.name,
      ).not.toThrow();
    }
  });

  it('api and gateway agree on Redis, its channel prefix and every other shared setting', () => {
    const shared = MUST_AGREE.filter(
      (name) => SERVICES.api.variables.has(name) && SERVICES.gateway.variables.has(name),
    );
    expect(shared).toEqual(expect.arrayContaining(['REDIS_PREFIX', 'REDIS_CLUSTER']));
    const values = (service: ServiceName): Array<[string, unknown]> => {
      const workload = helpdeskDeployments.find((candidate) => candidate.service === service);
      return shared.map((name) => {
        const variable = workload?.variables.get(name);
        return [name, variable?.externalSecret ?? variable?.value ?? SERVICES[service].variables.get(name)];
      });
    };
    expect(values('gateway')).toEqual(values('api'));
  });

  it('Secrets: rendered ones hold only credentials that a container uses; external ones are documented', () => {
    const referenced = found.flatMap((workload) =>
      asArray(workload.container.env)
        .map((variable) => get(variable, 'valueFrom', 'secretKeyRef') as Json | undefined)
        .filter((ref): ref is Json => ref !== undefined),
    );
    for (const secret of objects.filter((object) => object.kind === 'Secret')) {
      for (const key of Object.keys((secret.data as Json | undefined) ?? {})) {
        expect(isCredential(key), `Secret/${secret.metadata.name} ${key} is a credential`).toBe(true);
        expect(
          referenced.some((ref) => ref.name === secret.metadata.name && ref.key === key),
          `Secret/${secret.metadata.name} ${key} is used`,
        ).toBe(true);
      }
    }
    const external = new Map<string, Set<string>>();
    for (const workload of found) {
      for (const variable of workload.variables.values()) {
        if (!variable.externalSecret) continue;
        const keys = external.get(variable.externalSecret.name) ?? new Set<string>();
        keys.add(variable.externalSecret.key);
        external.set(variable.externalSecret.name, keys);
      }
    }
    for (const [name, keys] of external) {
      expect(README, `k8s/README.md names the Secret ${name}`).toContain(name);
      for (const key of keys) {
        expect(README, `k8s/README.md documents ${name} key ${key}`).toContain(key);
        expect(isCredential(key), `${key} is a credential`).toBe(true);
      }
    }
  });

  it('probes ask routes the services serve, on the port the process listens on', () => {
    for (const workload of helpdeskDeployments) {
      const where = workload.object.metadata.name;
      const config = SERVICES[workload.service].loadConfig(environmentOf(workload));
      const routes = SERVICES[workload.service].getRoutes;
      expect(get(workload.container, 'readinessProbe', 'httpGet', 'path'), where).toBe('/readyz');
      expect(get(workload.container, 'livenessProbe', 'httpGet', 'path'), where).toBe('/healthz');
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const httpGet = get(workload.container, probe, 'httpGet');
        if (probe === 'startupProbe' && httpGet === undefined) continue;
        expect(routes.has(String(get(httpGet, 'path'))), `${where} ${probe} path is a route`).toBe(true);
        expect(containerPort([workload.container], get(httpGet, 'port')), `${where} ${probe} port`).toBe(config.port);
      }
      // Exposed at the listening port, by the name the Service uses.
      expect(containerPort([workload.container], 'http'), where).toBe(config.port);
    }
  });

  it('Prometheus finds each pod’s metrics: scrape annotations name the port METRICS_PORT serves, and its path', async () => {
    const paths = new Set<string>();
    for (const workload of helpdeskDeployments) {
      const where = workload.object.metadata.name;
      const config = SERVICES[workload.service].loadConfig(environmentOf(workload));
      const annotations = get(workload.object, 'spec', 'template', 'metadata', 'annotations') as Json | undefined;
      expect(config.metricsPort, `${where} serves metrics`).toBeGreaterThan(0);
      expect(annotations?.['prometheus.io/scrape'], where).toBe('true');
      expect(Number(annotations?.['prometheus.io/port']), `${where} prometheus.io/port`).toBe(config.metricsPort);
      expect(containerPort([workload.container], 'metrics'), `${where} metrics container port`).toBe(
        config.metricsPort,
      );
      paths.add(String(annotations?.['prometheus.io/path']));
      // By name on the Service too, for a prometheus-operator ServiceMonitor.
      const labels = get(workload.object, 'spec', 'template', 'metadata', 'labels');
      const services = objects.filter(
        (object) => object.kind === 'Service' && matches(get(object, 'spec', 'selector'), labels),
      );
      const ports = services.flatMap((service) => asArray(get(service, 'spec', 'ports')));
      const metrics = ports.find((port) => port.name === 'metrics');
      expect(containerPort([workload.container], metrics?.targetPort), `${where} Service port metrics`).toBe(
        config.metricsPort,
      );
    }
    // Both services serve metrics with the shared server: the annotated path is the one it answers.
    const server = await startMetricsServer('127.0.0.1', 0);
    try {
      for (const path of paths) {
        const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
        await res.text();
        expect(res.status, `GET ${path}`).toBe(200);
      }
    } finally {
      await server.close();
    }
  });

  it('pods are non-root, read-only, without privileges or capabilities, with a writable /tmp', () => {
    for (const workload of found) {
      const where = `${workload.object.kind}/${workload.object.metadata.name}`;
      const pod = podSpec(workload.object) ?? {};
      const container = workload.container;
      const effective = (field: string): unknown =>
        get(container, 'securityContext', field) ?? get(pod, 'securityContext', field);
      expect(effective('runAsNonRoot'), where).toBe(true);
      expect(effective('runAsUser') ?? 1000, where).not.toBe(0);
      expect(get(effective('seccompProfile'), 'type'), where).toBe('RuntimeDefault');
      expect(get(container, 'securityContext', 'allowPrivilegeEscalation'), where).toBe(false);
      expect(get(container, 'securityContext', 'readOnlyRootFilesystem'), where).toBe(true);
      expect(get(container, 'securityContext', 'capabilities', 'drop'), where).toEqual(['ALL']);
      expect(pod.automountServiceAccountToken, where).toBe(false);
      for (const field of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          expect(get(container, 'resources', field, resource), `${where} ${field}.${resource}`).toBeDefined();
        }
      }
      const emptyDirs = new Set(
        asArray(pod.volumes)
          .filter((volume) => volume.emptyDir !== undefined)
          .map((volume) => volume.name),
      );
      const writable = asArray(container.volumeMounts)
        .filter((mount) => emptyDirs.has(mount.name) && mount.readOnly !== true)
        .map((mount) => String(mount.mountPath));
      expect(writable, where).toContain('/tmp');
      if (workload.service === 'api') {
        const spool = loadApiConfig(environmentOf(workload)).uploadSpoolDir;
        expect(
          writable.some((path) => spool.startsWith(`${path}/`)),
          `${where} spools uploads (${spool}) on an emptyDir`,
        ).toBe(true);
      }
    }
  });

  it('pods outlive their drain: terminationGracePeriodSeconds > preStop + SHUTDOWN_GRACE_SECONDS', () => {
    for (const workload of helpdeskDeployments) {
      const config = SERVICES[workload.service].loadConfig(environmentOf(workload));
      const grace = get(podSpec(workload.object), 'terminationGracePeriodSeconds') ?? 30;
      expect(grace, workload.object.metadata.name).toBeGreaterThan(
        preStopSeconds(workload.container) + config.shutdownGraceSeconds,
      );
    }
  });

  it('the migration Job runs the api image’s migrate entry once, without retrying forever', () => {
    const job = found.find((workload) => workload.object.kind === 'Job');
    expect(job?.container.command).toEqual(['node', 'dist/migrate.js']);
    expect(existsSync(join(REPO_ROOT, 'services/api/src/migrate.ts'))).toBe(true);
    expect(['Never', 'OnFailure']).toContain(get(podSpec(job?.object as K8sObject), 'restartPolicy'));
    expect(get(job?.object, 'spec', 'backoffLimit')).toBeTypeOf('number');
    expect(get(job?.object, 'spec', 'activeDeadlineSeconds')).toBeTypeOf('number');
  });

  it('Services select the pods of exactly one Deployment, on a port its containers expose', () => {
    for (const service of objects.filter((object) => object.kind === 'Service')) {
      const selector = get(service, 'spec', 'selector');
      const selected = deployments.filter((deployment) =>
        matches(selector, get(deployment, 'spec', 'template', 'metadata', 'labels')),
      );
      expect(
        selected.map((deployment) => deployment.metadata.name),
        `Service/${service.metadata.name}`,
      ).toHaveLength(1);
      const containers = podContainers(selected[0] as K8sObject);
      for (const port of asArray(get(service, 'spec', 'ports'))) {
        expect(
          containerPort(containers, port.targetPort ?? port.port),
          `Service/${service.metadata.name} port ${String(port.name)}`,
        ).toBeDefined();
      }
    }
    for (const deployment of deployments) {
      expect(
        matches(
          get(deployment, 'spec', 'selector', 'matchLabels'),
          get(deployment, 'spec', 'template', 'metadata', 'labels'),
        ),
      ).toBe(true);
    }
  });

  it('api and gateway each have a PodDisruptionBudget and an autoscaler aimed at them, which owns replicas', () => {
    for (const workload of helpdeskDeployments) {
      const deployment = workload.object;
      const labels = get(deployment, 'spec', 'template', 'metadata', 'labels');
      const pdbs = objects.filter(
        (object) =>
          object.kind === 'PodDisruptionBudget' && matches(get(object, 'spec', 'selector', 'matchLabels'), labels),
      );
      expect(pdbs, `PDB for ${deployment.metadata.name}`).toHaveLength(1);
      const hpas = objects.filter(
        (object) =>
          object.kind === 'HorizontalPodAutoscaler' &&
          get(object, 'spec', 'scaleTargetRef', 'kind') === 'Deployment' &&
          get(object, 'spec', 'scaleTargetRef', 'apiVersion') === 'apps/v1' &&
          get(object, 'spec', 'scaleTargetRef', 'name') === deployment.metadata.name,
      );
      expect(hpas, `HPA for ${deployment.metadata.name}`).toHaveLength(1);
      // Two pods at least, so one can be disrupted (the PDB) while the other serves.
      expect(get(hpas[0], 'spec', 'minReplicas')).toBeGreaterThanOrEqual(2);
      expect(
        get(deployment, 'spec', 'replicas'),
        `${deployment.metadata.name} leaves replicas to its HPA`,
      ).toBeUndefined();
    }
    for (const object of objects.filter((candidate) =>
      ['PodDisruptionBudget', 'HorizontalPodAutoscaler'].includes(candidate.kind),
    )) {
      const target =
        object.kind === 'HorizontalPodAutoscaler'
          ? find(objects, 'Deployment', get(object, 'spec', 'scaleTargetRef', 'name'))
          : deployments.find((deployment) =>
              matches(
                get(object, 'spec', 'selector', 'matchLabels'),
                get(deployment, 'spec', 'template', 'metadata', 'labels'),
              ),
            );
      expect(target, `${object.kind}/${object.metadata.name} has a target`).toBeDefined();
    }
  });

  const ingresses = objects.filter((object) => object.kind === 'Ingress');
  const hostsOf = (ingress: K8sObject): unknown[] =>
    asArray(get(ingress, 'spec', 'rules'))
      .map((rule) => rule.host)
      .filter((host) => host !== undefined);

  it('the Ingresses send /ws/ to the gateway Service, the console and everything else to the api, on one origin', () => {
    expect(ingresses.length).toBeGreaterThan(0);
    for (const ingress of ingresses) expect(get(ingress, 'spec', 'ingressClassName')).toBe('nginx');
    const backendOf = (path: string): ServiceName | undefined => {
      const entries = ingresses.flatMap((ingress) =>
        asArray(get(ingress, 'spec', 'rules')).flatMap((rule) => asArray(get(rule, 'http', 'paths'))),
      );
      const routed = entries.filter((candidate) => candidate.path === path);
      expect(routed, `${path} is routed by exactly one Ingress rule`).toHaveLength(1);
      const entry = routed[0];
      expect(entry?.pathType, `${path} pathType`).toBe('Prefix');
      const backend = get(entry, 'backend', 'service') as Json | undefined;
      const service = find(objects, 'Service', backend?.name);
      const port = asArray(get(service, 'spec', 'ports')).find(
        (candidate) =>
          candidate.name === get(backend, 'port', 'name') || candidate.port === get(backend, 'port', 'number'),
      );
      expect(port, `${path} → Service ${String(backend?.name)} port`).toBeDefined();
      const deployment = deployments.find((candidate) =>
        matches(get(service, 'spec', 'selector'), get(candidate, 'spec', 'template', 'metadata', 'labels')),
      );
      return found.find((workload) => workload.object === deployment)?.service;
    };
    expect(backendOf('/ws/')).toBe('gateway');
    expect(backendOf('/')).toBe('api');
    expect(backendOf('/console/')).toBe('api');
    // One origin: every Ingress answers for the same hosts.
    expect(new Set(ingresses.map((ingress) => JSON.stringify(hostsOf(ingress)))).size).toBe(1);
  });

  it('sockets get long proxy timeouts and no access log (their URL holds the ticket); REST keeps both defaults', () => {
    const routing = (path: string): K8sObject => {
      const ingress = ingresses.find((candidate) =>
        asArray(get(candidate, 'spec', 'rules')).some((rule) =>
          asArray(get(rule, 'http', 'paths')).some((entry) => entry.path === path),
        ),
      );
      expect(ingress, `an Ingress routes ${path}`).toBeDefined();
      return ingress as K8sObject;
    };
    const sockets = routing('/ws/');
    const rest = routing('/');
    // ingress-nginx applies annotations per Ingress object: a shared one would turn REST's log off.
    expect(sockets.metadata.name).not.toBe(rest.metadata.name);

    const gateway = helpdeskDeployments.find((workload) => workload.service === 'gateway') as Workload;
    const idle = Number(
      gateway.variables.get('WS_IDLE_TIMEOUT_SECONDS')?.value ??
        SERVICES.gateway.variables.get('WS_IDLE_TIMEOUT_SECONDS'),
    );
    const socketAnnotations = sockets.metadata.annotations ?? {};
    for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
      expect(Number(socketAnnotations[`nginx.ingress.kubernetes.io/${timeout}`]), timeout).toBeGreaterThan(2 * idle);
    }
    expect(socketAnnotations['nginx.ingress.kubernetes.io/enable-access-log']).toBe('false');

    const restAnnotations = rest.metadata.annotations ?? {};
    expect(restAnnotations['nginx.ingress.kubernetes.io/enable-access-log']).toBeUndefined();
    // The api answers oversized bodies itself, in the contract's error shape.
    expect(restAnnotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');
  });

  it('PUBLIC_BASE_URL is the Ingresses’ origin, https where they have TLS for the host', () => {
    const api = helpdeskDeployments.find((workload) => workload.service === 'api') as Workload;
    const publicBaseUrl = new URL(api.variables.get('PUBLIC_BASE_URL')?.value ?? '');
    for (const ingress of ingresses) {
      const hosts = hostsOf(ingress);
      const tlsHosts = asArray(get(ingress, 'spec', 'tls')).flatMap((tls) =>
        Array.isArray(tls.hosts) ? (tls.hosts as unknown[]) : [],
      );
      if (hosts.length > 0) expect(hosts).toContain(publicBaseUrl.hostname);
      if (tlsHosts.includes(publicBaseUrl.hostname)) expect(publicBaseUrl.protocol).toBe('https:');
      for (const tls of asArray(get(ingress, 'spec', 'tls'))) expect(tls.secretName).toBeTypeOf('string');
    }
  });
});

describe.each(OVERLAYS)('k8s/%s (an overlay)', (overlay) => {
  const objects = kustomizeBuild(join(K8S_DIR, overlay));
  const declared = parse(readFileSync(join(K8S_DIR, overlay, 'kustomization.yaml'), 'utf8')) as { namespace?: string };

  it('puts every object in its own namespace, which it creates', () => {
    expect(declared.namespace).toBeTypeOf('string');
    expect(find(objects, 'Namespace', declared.namespace)).toBeDefined();
    for (const object of objects) {
      if (object.kind !== 'Namespace')
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(declared.namespace);
    }
  });

  it('pins the helpdesk images to a tag or digest', () => {
    for (const workload of workloads(objects)) {
      const { tag, digest } = splitImage(String(workload.container.image));
      expect(digest ?? tag, String(workload.container.image)).toBeDefined();
      expect(tag, String(workload.container.image)).not.toBe('latest');
    }
  });
});

describe('k8s/overlays/production', () => {
  it('terminates TLS at every Ingress for its host (clients use https:// and wss://)', () => {
    const ingresses = kustomizeBuild(join(K8S_DIR, 'overlays/production')).filter(
      (object) => object.kind === 'Ingress',
    );
    expect(ingresses.length).toBeGreaterThan(0);
    for (const ingress of ingresses) {
      const rules = asArray(get(ingress, 'spec', 'rules'));
      expect(
        rules.every((rule) => typeof rule.host === 'string'),
        ingress.metadata.name,
      ).toBe(true);
      expect(
        asArray(get(ingress, 'spec', 'tls')).some(
          (tls) => Array.isArray(tls.hosts) && tls.hosts.includes(rules[0]?.host),
        ),
        ingress.metadata.name,
      ).toBe(true);
    }
    // One of them asks cert-manager for the certificate; two would fight over its Certificate.
    const issuers = ingresses.filter((ingress) => ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']);
    expect(issuers).toHaveLength(1);
  });
});
