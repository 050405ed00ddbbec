import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadApiConfig } from '../services/api/src/index.js';
import { loadGatewayConfig } from '../services/gateway/src/index.js';

// What the deployment files must agree with, read from the services' source rather than copied
// into the tests: the environment variables each config.ts reads, the HTTP routes each service
// answers, and the services' own configuration loaders to check the values with.

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export type ServiceName = 'api' | 'gateway';

export interface ServiceFacts {
  name: ServiceName;
  /** The image name in docker-compose.yml and k8s/base (overlays may prefix a registry). */
  image: string;
  dockerfile: string;
  /** Every variable config.ts reads, with the default it falls back to where the source has one. */
  variables: Map<string, string | undefined>;
  /** Paths of the GET routes registered in src/ (`.get('/path'`). */
  getRoutes: Set<string>;
  /** Throws the service's ConfigError naming every bad variable, as at start. */
  loadConfig(env: Record<string, string>): { port: number; shutdownGraceSeconds: number; metricsPort: number };
}

export const SERVICES: Record<ServiceName, ServiceFacts> = {
  api: {
    name: 'api',
    image: 'helpdesk-chat/api',
    dockerfile: 'services/api/Dockerfile',
    variables: configVariables('services/api/src/config.ts'),
    getRoutes: getRoutes('services/api/src'),
    loadConfig: (env) => {
      const config = loadApiConfig(env);
      return { ...config, metricsPort: config.metrics.port };
    },
  },
  gateway: {
    name: 'gateway',
    image: 'helpdesk-chat/gateway',
    dockerfile: 'services/gateway/Dockerfile',
    variables: configVariables('services/gateway/src/config.ts'),
    getRoutes: getRoutes('services/gateway/src'),
    loadConfig: (env) => loadGatewayConfig(env),
  },
};

/**
 * The variables a config.ts reads: the names passed as string literals to the ConfigReader
 * (`read.int('PORT', 8000, …)`, `read.url('REDIS_URL', …)`) and any `env['NAME']` it reads itself.
 * A literal default (string or number) is kept, so tests can tell what an unset variable means.
 */
export function configVariables(relativePath: string): Map<string, string | undefined> {
  const source = readFileSync(join(REPO_ROOT, relativePath), 'utf8');
  const variables = new Map<string, string | undefined>();
  const reads =
    /\bread\.\w+\(\s*(['"])([A-Z][A-Z0-9_]*)\1\s*(?:,\s*(?:(['"])([^'"]*)\3|(-?[0-9][0-9_]*)(?=\s*[,)])))?/g;
  for (const match of source.matchAll(reads)) {
    const name = match[2] as string;
    const fallback = match[4] ?? match[5]?.replace(/_/g, '');
    if (!variables.has(name) || variables.get(name) === undefined) variables.set(name, fallback);
  }
  for (const match of source.matchAll(/\benv\[\s*(['"])([A-Z][A-Z0-9_]*)\1\s*\]/g)) {
    const name = match[2] as string;
    if (!variables.has(name)) variables.set(name, undefined);
  }
  // Shared readers that read fixed variables themselves (`read.historyLimits()`): the names and
  // defaults come from their bodies in packages/shared's ConfigReader.
  const shared = sharedReaderVariables();
  for (const match of source.matchAll(/\bread\.(\w+)\(\s*\)/g)) {
    for (const [name, fallback] of shared.get(match[1] as string) ?? []) {
      if (!variables.has(name)) variables.set(name, fallback);
    }
  }
  if (variables.size === 0) throw new Error(`${relativePath}: found no read.<kind>('NAME', …) calls`);
  return variables;
}

/** For each argument-less ConfigReader method: the variables it reads, with literal defaults. */
function sharedReaderVariables(): Map<string, Array<[string, string | undefined]>> {
  const source = readFileSync(join(REPO_ROOT, 'packages/shared/src/config-reader.ts'), 'utf8');
  const methods = new Map<string, Array<[string, string | undefined]>>();
  for (const method of source.matchAll(/\n {2}(\w+)\(\)[^{\n]*\{([\s\S]*?)\n {2}\}/g)) {
    const reads = [
      ...(method[2] as string).matchAll(/\bthis\.\w+\(\s*'([A-Z][A-Z0-9_]*)'\s*(?:,\s*(-?[0-9][0-9_]*))?/g),
    ];
    methods.set(
      method[1] as string,
      reads.map((r) => [r[1] as string, r[2]?.replace(/_/g, '')]),
    );
  }
  return methods;
}

/** Paths of the `.get('/…'` routes registered in a service's non-test sources. */
export function getRoutes(relativeDir: string): Set<string> {
  const routes = new Set<string>();
  for (const file of sourceFiles(join(REPO_ROOT, relativeDir))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\.get\(\s*(['"`])(\/[^'"`$]*)\1/g)) {
      routes.add(match[2] as string);
    }
  }
  return routes;
}

/** Non-test TypeScript files under a directory, recursively. */
export function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

/**
 * Variables that are credentials, so they must come from a Secret, never a ConfigMap or an
 * image: connection URLs (which carry passwords) and anything named like a key or a secret.
 */
export function isCredential(name: string): boolean {
  return /^(DATABASE_URL|REDIS_URL)$|ACCESS_KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL/.test(name);
}

/**
 * Variables that, where both services read them, must have the same value in both: the Redis the
 * events cross and whether it is a Cluster (SPUBLISH reaches only SSUBSCRIBE, PUBLISH only
 * SUBSCRIBE), the prefix of their channels, and the key the api signs socket tickets with and the
 * gateway verifies them with.
 */
export const MUST_AGREE = ['REDIS_URL', 'REDIS_CLUSTER', 'REDIS_PREFIX', 'SECRET_KEY'];

/**
 * Variables the deployments deliberately leave unset, relying on the default, and why. Everything
 * else each config.ts reads must be set explicitly by docker-compose.yml and by k8s/.
 */
export const DEFAULTS_RELIED_ON: Record<ServiceName, Record<string, string>> = {
  api: {
    DATA_DIR: 'only the embedded mode uses it (PGlite and disk files), and DATABASE_URL and S3_ENDPOINT replace both',
    FILES_DIR: 'only the disk file store uses it; S3_ENDPOINT selects the S3 store',
    CONSOLE_DIR:
      'the image carries the console build where the default looks for it (the deployed @helpdesk/console package)',
    MAX_BODY_BYTES: 'a contract limit: the default is the one the embedded mode serves',
    MAX_FILE_BYTES: 'a contract limit: the default is the one the embedded mode serves',
    MAX_MESSAGE_CHARS: 'a contract limit: the default is the one the embedded mode serves',
    MAX_HEADER_BYTES: "a protocol limit: Node's own default; the proxy in front keeps its own",
    MAX_STORAGE_BYTES_PER_ORGANIZATION: 'off by default: a storage quota is a choice of each deployment',
    OUTBOX_BATCH_SIZE: 'relay tuning: the default batch suits any load this api handles',
    OUTBOX_POLL_INTERVAL_MS: 'relay tuning: commits nudge the relay at once; the poll only backs that up',
    OUTBOX_RETRY_MAX_MS: 'relay tuning: the longest backoff while Redis is away',
    OUTBOX_RETENTION_SECONDS: 'relay tuning: how long published rows stay for inspection',
    WEBHOOK_MAX_ATTEMPTS: 'delivery tuning: the documented retry schedule suits most receivers',
    WEBHOOK_POLL_INTERVAL_MS: 'delivery tuning: how often pending deliveries are looked for',
    WEBHOOK_RETRY_BASE_MS: 'delivery tuning: first backoff step',
    WEBHOOK_RETRY_MAX_MS: 'delivery tuning: longest backoff step',
    WEBHOOK_TIMEOUT_MS: 'delivery tuning: how long one POST to a receiver may take',
    API_KEY_CACHE_SECONDS:
      'key cache tuning: revocations reach every replica over the bus at once; the TTL only bounds a missed one',
    API_KEY_CACHE_MAX_KEYS: 'key cache tuning: the default holds every key of a large deployment',
    PAGINATION_MAX_LIMIT: 'a contract limit: the largest page (`limit`) the README documents',
    IDEMPOTENCY_TTL_SECONDS:
      'how long a retried request is answered from its first answer; the default covers client retries',
    ADMIN_TOKEN:
      'a bootstrap for automation and the embedded mode; deployments create administrators once with create-admin instead of keeping a key in the environment',
  },
  gateway: {
    WS_REPLAY_MAX_EVENTS: "replay tuning: matches the api's HISTORY_MAX_EVENTS default",
    WS_REPLAY_TIMEOUT_MS:
      'replay tuning: how long the history read may take for a socket that opened with last_event_id (or a topic filling a gap after a Redis reconnect) before it gets a resync; the upgrade never waits for it',
    WS_REPLAY_BUFFER_BYTES: 'replay tuning: live bytes held for a socket while it replays',
    WS_CLOSE_TIMEOUT_MS:
      'close tuning: how long a socket the gateway closes may take to read what it had buffered before its connection is cut',
  },
};

/**
 * How a set of variables given to one container of `service` differs from what its config.ts
 * reads: variables it does not read (a typo, or a leftover), and variables it reads that are
 * neither given nor deliberately left to their default (DEFAULTS_RELIED_ON).
 */
export function coverageProblems(service: ServiceName, provided: Iterable<string>): string[] {
  const { variables } = SERVICES[service];
  const given = new Set(provided);
  const allowed = DEFAULTS_RELIED_ON[service];
  const problems: string[] = [];
  for (const name of given) {
    if (!variables.has(name)) problems.push(`${name} is set but ${service}'s config.ts does not read it`);
    if (name in allowed) problems.push(`${name} is set, so remove it from DEFAULTS_RELIED_ON.${service}`);
  }
  for (const name of variables.keys()) {
    if (!given.has(name) && !(name in allowed)) {
      problems.push(
        `${name} is read by ${service}'s config.ts but not set (set it, or add it to DEFAULTS_RELIED_ON with a reason)`,
      );
    }
  }
  return problems;
}
