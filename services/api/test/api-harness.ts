import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { RedisBus, type Env } from '@helpdesk/shared';
import { createTestDatabase, redisPrefix, testEnv } from '../../../test/test-env.js';
import { createApi, createLogger, loadApiConfig } from '../src/index.js';

export interface ApiHarness {
  app: FastifyInstance;
  prefix: string;
  /** Every envelope published to the run's channels, as [channel, payload] in arrival order. */
  published: Array<[string, string]>;
  /** Resolves when `count` envelopes have been published in all. */
  waitForPublished(count: number): Promise<Array<[string, string]>>;
  close(): Promise<void>;
}

/** The api on a fresh Postgres database and a private Redis prefix, built as production builds it. */
export async function startApi(env: Env = {}): Promise<ApiHarness> {
  const { redisUrl } = testEnv();
  const prefix = redisPrefix();
  const filesDir = await mkdtemp(join(tmpdir(), 'hd-files-'));
  const config = loadApiConfig({
    DATABASE_URL: await createTestDatabase(),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    FILES_DIR: filesDir,
    UPLOAD_SPOOL_DIR: join(filesDir, 'spool'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const listener = new Redis(redisUrl);
  const published: Array<[string, string]> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
    published.push([channel, message]);
    for (const waiter of waiters.filter((w) => published.length >= w.count)) waiter.resolve();
  });
  await listener.psubscribe(`${prefix}*`);

  const bus = new RedisBus({ url: redisUrl, connectionName: 'hd-test-api' });
  const app = await createApi(config, { publisher: bus.publisher(), logger: createLogger('silent', 'test') });
  return {
    app,
    prefix,
    published,
    waitForPublished: (count) =>
      new Promise((resolve, reject) => {
        if (published.length >= count) return resolve(published.slice(0, count));
        const timer = setTimeout(() => reject(new Error(`only ${published.length} of ${count} events published`)), 5000);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(published.slice(0, count))) });
      }),
    close: async () => {
      await app.close();
      await bus.close();
      listener.disconnect();
      await rm(filesDir, { recursive: true, force: true });
    },
  };
}

export const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Factories: build only the data a test needs, through the public api. */
export async function createOrganization(app: FastifyInstance, name: string): Promise<{ uuid: string; name: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/organizations/', payload: { name } });
  if (res.statusCode !== 201) throw new Error(`organization: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function createClient(app: FastifyInstance, organization: string, name = 'Client name', phone = '123') {
  const res = await app.inject({ method: 'POST', url: '/api/clients/', payload: { organization, name, phone } });
  if (res.statusCode !== 201) throw new Error(`client: ${res.statusCode} ${res.body}`);
  return res.json<{ uuid: string; name: string; phone: string; created_at: string; updated_at: string }>();
}

export async function createHelpDesk(app: FastifyInstance, organization: string, client: string) {
  const res = await app.inject({ method: 'POST', url: '/api/help-desks/', payload: { organization, client } });
  if (res.statusCode !== 201) throw new Error(`help desk: ${res.statusCode} ${res.body}`);
  return res.json<{ uuid: string }>();
}
