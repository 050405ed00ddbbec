import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from '../services/api/src/index.js';
import { findAll, nginxSeconds, parseNginxConfig, type NginxDirective } from './nginx-config.js';
import { coverageProblems, MUST_AGREE, REPO_ROOT, SERVICES, type ServiceName } from './service-config.js';

// docker-compose.yml cannot be run here (no Docker engine), so its wiring is checked statically:
// the variables each container gets against what the services read, the values against the
// services' own loaders, the start order, and the proxy's routes against the services' ports.

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
  deploy?: { replicas?: number };
  scale?: number;
  ports?: string[];
  volumes?: string[];
  tmpfs?: string[] | string;
  read_only?: boolean;
  stop_grace_period?: string;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry): [string, string] => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
}

function dependency(name: string, on: string): string | undefined {
  const dependsOn = service(name).depends_on;
  if (Array.isArray(dependsOn)) return dependsOn.includes(on) ? 'service_started' : undefined;
  const entry = dependsOn?.[on];
  return entry ? (entry.condition ?? 'service_started') : undefined;
}

/** Compose durations: "30s", "1m30s", "500ms". */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  const rest = duration.replace(/([0-9.]+)(h|ms|us|m|s)/g, (_all, amount: string, unit: string) => {
    total += Number(amount) * (units[unit] as number);
    return '';
  });
  if (rest !== '') throw new Error(`not a duration: ${duration}`);
  return total;
}

/** Which service's configuration a compose service runs with. */
const CONFIG_OF: Record<string, ServiceName> = { api: 'api', migrate: 'api', gateway: 'gateway' };

describe('docker-compose.yml', () => {
  it('runs Postgres 16, Redis 7, MinIO with a bucket step, a migration, two api and two gateway replicas and a proxy', () => {
    expect(service('postgres').image).toMatch(/^postgres:16(\b|$)/);
    expect(service('redis').image).toMatch(/^redis:7(\b|$)/);
    expect(service('minio').image).toMatch(/^minio\/minio(:|$)/);
    expect(service('minio-setup').image).toMatch(/^minio\/mc(:|$)/);
    for (const name of ['api', 'gateway']) {
      const replicas = service(name).deploy?.replicas ?? service(name).scale ?? 1;
      expect(replicas, `${name} replicas`).toBeGreaterThanOrEqual(2);
    }
    for (const [name, config] of Object.entries(CONFIG_OF)) {
      const { build, image } = service(name);
      expect(build?.dockerfile, `${name} is built from ${SERVICES[config].dockerfile}`).toBe(
        SERVICES[config].dockerfile,
      );
      expect(build?.context).toBe('.');
      expect(image).toMatch(new RegExp(`^${SERVICES[config].image}(:|$)`));
      expect(existsSync(join(REPO_ROOT, SERVICES[config].dockerfile))).toBe(true);
    }
    // The migration is the api image's migrate entry (dist/migrate.js is built from src/migrate.ts).
    expect(service('migrate').command).toEqual(['node', 'dist/migrate.js']);
    expect(existsSync(join(REPO_ROOT, 'services/api/src/migrate.ts'))).toBe(true);
  });

  it.each(Object.entries(CONFIG_OF))('%s gets exactly the variables its config.ts reads', (name, config) => {
    expect(coverageProblems(config, Object.keys(environment(name)))).toEqual([]);
  });

  it.each(Object.entries(CONFIG_OF))('%s configuration loads with the service’s own loader', (name, config) => {
    expect(() => SERVICES[config].loadConfig(environment(name))).not.toThrow();
  });

  it('api and gateway agree on Redis and every other shared setting, and every URL names a service of the file', () => {
    const api = environment('api');
    const gateway = environment('gateway');
    const shared = MUST_AGREE.filter(
      (name) => SERVICES.api.variables.has(name) && SERVICES.gateway.variables.has(name),
    );
    expect(shared).toContain('REDIS_PREFIX');
    for (const name of shared) {
      expect(gateway[name] ?? SERVICES.gateway.variables.get(name), name).toBe(
        api[name] ?? SERVICES.api.variables.get(name),
      );
    }
    expect(environment('migrate')).toEqual(api);

    const redis = new URL(api.REDIS_URL as string);
    expect(services[redis.hostname], `REDIS_URL host ${redis.hostname}`).toBeDefined();

    const database = new URL(api.DATABASE_URL as string);
    const postgres = environment(database.hostname);
    expect(database.port || '5432').toBe('5432');
    expect(decodeURIComponent(database.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(database.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(database.pathname).toBe(`/${postgres.POSTGRES_DB}`);

    const s3 = new URL(api.S3_ENDPOINT as string);
    const minio = environment(s3.hostname);
    expect(api.S3_ACCESS_KEY).toBe(minio.MINIO_ROOT_USER);
    expect(api.S3_SECRET_KEY).toBe(minio.MINIO_ROOT_PASSWORD);
    const setup = environment('minio-setup');
    expect(setup.S3_BUCKET).toBe(api.S3_BUCKET);
    expect(setup.MINIO_URL).toBe(api.S3_ENDPOINT);
    expect(setup.MINIO_ROOT_USER).toBe(minio.MINIO_ROOT_USER);
    expect(setup.MINIO_ROOT_PASSWORD).toBe(minio.MINIO_ROOT_PASSWORD);
    const script = service('minio-setup').volumes?.find((volume) => volume.startsWith('./deploy/minio/'));
    expect(script && existsSync(join(REPO_ROOT, script.split(':')[0] as string))).toBe(true);
  });

  it('starts in order: schema and bucket before the api, healthy fleets before the proxy', () => {
    expect(dependency('migrate', 'postgres')).toBe('service_healthy');
    expect(dependency('minio-setup', 'minio')).toBeDefined();
    expect(dependency('api', 'migrate')).toBe('service_completed_successfully');
    expect(dependency('api', 'minio-setup')).toBe('service_completed_successfully');
    expect(dependency('api', 'postgres')).toBe('service_healthy');
    expect(dependency('api', 'redis')).toBe('service_healthy');
    expect(dependency('gateway', 'redis')).toBe('service_healthy');
    expect(dependency('proxy', 'api')).toBe('service_healthy');
    expect(dependency('proxy', 'gateway')).toBe('service_healthy');
    // service_healthy needs a healthcheck on the service waited for.
    for (const [name, config] of Object.entries(services)) {
      for (const [on, condition] of Object.entries(Array.isArray(config.depends_on) ? {} : (config.depends_on ?? {}))) {
        if (condition.condition === 'service_healthy')
          expect(service(on).healthcheck, `${name} waits for ${on}`).toBeDefined();
      }
    }
  });

  it.each(['api', 'gateway'] as const)('%s healthcheck asks its readiness route on the port it listens on', (name) => {
    const test = service(name).healthcheck?.test;
    const command = Array.isArray(test) ? test.join(' ') : (test ?? '');
    const match = /http:\/\/(?:127\.0\.0\.1|localhost):([0-9]+)(\/[a-z]+)/.exec(command);
    expect(match, `${name} healthcheck URL`).not.toBeNull();
    const config = SERVICES[name].loadConfig(environment(name));
    expect(Number(match?.[1])).toBe(config.port);
    expect(match?.[2]).toBe('/readyz');
    expect(SERVICES[name].getRoutes.has('/readyz')).toBe(true);
  });

  it.each(['api', 'gateway'] as const)('%s drains within stop_grace_period on a read-only root filesystem', (name) => {
    const config = SERVICES[name].loadConfig(environment(name));
    const grace = service(name).stop_grace_period;
    expect(grace, `${name} stop_grace_period`).toBeDefined();
    expect(seconds(grace as string)).toBeGreaterThan(config.shutdownGraceSeconds);
    expect(service(name).read_only).toBe(true);
  });

  it('the api spools uploads on a tmpfs', () => {
    const spool = loadApiConfig(environment('api')).uploadSpoolDir;
    const tmpfs = [service('api').tmpfs ?? []].flat();
    expect(tmpfs.some((mount) => spool === mount || spool.startsWith(`${mount.split(':')[0]}/`))).toBe(true);
  });

  describe('the proxy (deploy/nginx/nginx.conf)', () => {
    const proxy = service('proxy');
    const mount = proxy.volumes?.find((volume) => volume.endsWith(':/etc/nginx/nginx.conf:ro'));
    const config = parseNginxConfig(readFileSync(join(REPO_ROOT, (mount ?? '').split(':')[0] as string), 'utf8'));
    const [server, ...otherServers] = findAll(config, 'server').filter((directive) => directive.children);
    const locations = new Map(
      findAll(server?.children ?? [], 'location').map((location) => [location.args.join(' '), location]),
    );

    const directive = (block: NginxDirective | undefined, name: string): string[] | undefined =>
      block?.children?.find((child) => child.name === name)?.args;
    const headers = (location: NginxDirective | undefined): Map<string, string> =>
      new Map(
        (location?.children ?? [])
          .filter((child) => child.name === 'proxy_set_header')
          .map((child) => [child.args[0]?.toLowerCase() ?? '', child.args[1] ?? '']),
      );
    /** The compose service and port a location proxies to, through its upstream block. */
    const backends = (location: NginxDirective | undefined): { service: string; port: number }[] => {
      const target = /^http:\/\/([^/:]+)/.exec(directive(location, 'proxy_pass')?.[0] ?? '')?.[1];
      const upstream = findAll(config, 'upstream').find((block) => block.args[0] === target);
      expect(upstream, `upstream ${target}`).toBeDefined();
      return (upstream?.children ?? [])
        .filter((child) => child.name === 'server')
        .map((child) => {
          const [host, port] = (child.args[0] ?? '').split(':');
          return { service: host ?? '', port: Number(port ?? 80) };
        });
    };

    it('is mounted into the nginx container, which publishes the one public port', () => {
      expect(mount).toBeDefined();
      expect(proxy.image).toMatch(/^nginx:/);
      expect(otherServers).toEqual([]);
      const listen = Number(directive(server, 'listen')?.[0]);
      expect(proxy.ports).toEqual([`8000:${listen}`]);
      expect(environment('api').PUBLIC_BASE_URL).toBe('http://localhost:8000');
    });

    it('routes /ws/ to every gateway replica, with the WebSocket upgrade and long timeouts', () => {
      const ws = locations.get('/ws/');
      const gatewayPort = SERVICES.gateway.loadConfig(environment('gateway')).port;
      expect(backends(ws)).toEqual([{ service: 'gateway', port: gatewayPort }]);
      expect(directive(ws, 'proxy_http_version')).toEqual(['1.1']);
      const set = headers(ws);
      expect(set.get('upgrade')).toBe('$http_upgrade');
      const connection = set.get('connection') ?? '';
      const map = findAll(config, 'map').find(
        (block) => block.args[0] === '$http_upgrade' && block.args[1] === connection,
      );
      expect(connection === 'upgrade' || map !== undefined, `Connection header ${connection}`).toBe(true);
      const idle = Number(
        environment('gateway').WS_IDLE_TIMEOUT_SECONDS ?? SERVICES.gateway.variables.get('WS_IDLE_TIMEOUT_SECONDS'),
      );
      expect(nginxSeconds(directive(ws, 'proxy_read_timeout')?.[0] ?? '60s')).toBeGreaterThan(2 * idle);
      expect(nginxSeconds(directive(ws, 'proxy_send_timeout')?.[0] ?? '60s')).toBeGreaterThan(2 * idle);
    });

    it('routes the console and everything else to the api replicas, passing X-Forwarded-*, with no body limit of its own', () => {
      const apiPort = SERVICES.api.loadConfig(environment('api')).port;
      expect(backends(locations.get('/'))).toEqual([{ service: 'api', port: apiPort }]);
      // The console (and GET /, which redirects to it) is the api's too.
      expect(backends(locations.get('/console/'))).toEqual([{ service: 'api', port: apiPort }]);
      expect([...locations.keys()].sort()).toEqual(['/', '/console/', '/ws/']);
      for (const location of locations.values()) {
        const set = headers(location);
        expect(set.get('x-forwarded-for')).toBe('$proxy_add_x_forwarded_for');
        expect(set.get('x-forwarded-proto')).toBe('$scheme');
        expect(set.get('x-forwarded-host')).toBe('$http_host');
        expect(set.get('host')).toBe('$http_host');
      }
      // The api answers oversized bodies itself, in the contract's error shape.
      expect(directive(server, 'client_max_body_size')).toEqual(['0']);
    });
  });
});
