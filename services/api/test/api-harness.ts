import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisBus, type Env } from '@helpdesk/shared';
import { createTestDatabase, redisPrefix, testEnv } from '../../../test/test-env.js';
import { createApi, createLogger, loadApiConfig } from '../src/index.js';

/** What a request may have left behind: rows per table, events, stored and spooled files. */
export interface Traces {
  rows: Record<'organizations' | 'clients' | 'help_desks' | 'messages', number>;
  events: Array<[string, string]>;
  storedFiles: string[];
  spoolFiles: string[];
}

export interface ApiHarness {
  /** Its inject() sends the administrator key unless a test sets (or unsets) `authorization`. */
  app: FastifyInstance;
  adminToken: string;
  secretKey: string;
  /** Its database, for a second api on the same one. */
  databaseUrl: string;
  prefix: string;
  /** The disk store's folder (unused when S3_* is configured) and the upload spool folder. */
  filesDir: string;
  spoolDir: string;
  /** Every envelope published to the run's channels, as [channel, payload] in arrival order. */
  published: Array<[string, string]>;
  /** Resolves when `count` envelopes have been published in all. */
  waitForPublished(count: number): Promise<Array<[string, string]>>;
  /**
   * Everything written so far. The relay first publishes every committed event, then events are
   * read after a barrier message, so every event committed before this call has arrived.
   */
  traces(): Promise<Traces>;
  close(): Promise<void>;
}

/**
 * The api of a test file (or describe block): started before its tests, closed after them. The
 * answer is filled in when the tests start, so use it only inside tests and hooks.
 */
export function useApi(env: Env = {}): ApiHarness {
  const harness = {} as ApiHarness;
  beforeAll(async () => {
    Object.assign(harness, await startApi(env));
  });
  afterAll(async () => {
    await harness.close?.();
  });
  return harness;
}

const BARRIER = 'barrier';

/** The api on a fresh Postgres database and a private Redis prefix, built as production builds it. */
export async function startApi(env: Env = {}): Promise<ApiHarness> {
  const secretKey = randomBytes(32).toString('base64url');
  const adminToken = randomBytes(32).toString('base64url');
  const { redisUrl } = testEnv();
  const prefix = redisPrefix();
  const workDir = await mkdtemp(join(tmpdir(), 'hd-api-'));
  const filesDir = join(workDir, 'files');
  const spoolDir = join(workDir, 'spool');
  const databaseUrl = env.DATABASE_URL ?? (await createTestDatabase());
  const config = loadApiConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    FILES_DIR: filesDir,
    UPLOAD_SPOOL_DIR: spoolDir,
    LOG_LEVEL: 'silent',
    SECRET_KEY: secretKey,
    ADMIN_TOKEN: adminToken,
    // Tests send many requests with one key; the rate-limit tests turn it on.
    RATE_LIMIT_MAX: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
    ...env,
  });
  const listener = new Redis(redisUrl);
  const barrierPublisher = new Redis(redisUrl);
  const published: Array<[string, string]> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const barriers = new Map<string, () => void>();
  listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
    if (channel === `${prefix}${BARRIER}`) {
      barriers.get(message)?.();
      return;
    }
    published.push([channel, message]);
    for (const waiter of waiters.filter((w) => published.length >= w.count)) waiter.resolve();
  });
  await listener.psubscribe(`${prefix}*`);

  const bus = new RedisBus({ url: redisUrl, connectionName: 'hd-test-api', history: config.history });
  const app = await createApi(config, {
    publisher: bus.publisher(),
    revocations: bus,
    logger: createLogger('silent', 'test'),
  });
  authorizeInjectsAs(app, adminToken);

  const barrier = async (): Promise<void> => {
    const token = randomBytes(8).toString('hex');
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('barrier message did not arrive')), 5000);
      barriers.set(token, () => (clearTimeout(timer), barriers.delete(token), resolve()));
    });
    await barrierPublisher.publish(`${prefix}${BARRIER}`, token);
    await arrived;
  };

  return {
    app,
    adminToken,
    secretKey,
    databaseUrl,
    prefix,
    filesDir,
    spoolDir,
    published,
    waitForPublished: (count) =>
      new Promise((resolve, reject) => {
        if (published.length >= count) return resolve(published.slice(0, count));
        const timer = setTimeout(
          () => reject(new Error(`only ${published.length} of ${count} events published`)),
          5000,
        );
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(published.slice(0, count))) });
      }),
    traces: async () => {
      // The relay publishes after commit, so answers can come first: publish what is committed.
      await app.relay.flush();
      await barrier();
      const rows = await app.db
        .selectNoFrom((eb) => [
          eb.selectFrom('organizations').select(eb.fn.countAll<string>().as('n')).as('organizations'),
          eb.selectFrom('clients').select(eb.fn.countAll<string>().as('n')).as('clients'),
          eb.selectFrom('help_desks').select(eb.fn.countAll<string>().as('n')).as('help_desks'),
          eb.selectFrom('messages').select(eb.fn.countAll<string>().as('n')).as('messages'),
        ])
        .executeTakeFirstOrThrow();
      return {
        rows: {
          organizations: Number(rows.organizations),
          clients: Number(rows.clients),
          help_desks: Number(rows.help_desks),
          messages: Number(rows.messages),
        },
        events: [...published],
        storedFiles: await listFiles(filesDir),
        spoolFiles: await listFiles(spoolDir),
      };
    },
    close: async () => {
      await app.close();
      await bus.close();
      listener.disconnect();
      barrierPublisher.disconnect();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Paths of the files under `dir` (recursively), relative to it; none when it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MESSAGE_KEYS = ['created_at', 'updated_at', 'uuid', 'message', 'file', 'type', 'status', 'help_desk'];

export interface MultipartPart {
  name: string;
  value: string | Buffer;
  /** Present: a file part with this file name. */
  filename?: string;
  contentType?: string;
}

/**
 * A multipart/form-data body written by hand, for the cases FormData cannot express (part order,
 * odd names, a body cut short). Returns the payload and its Content-Type header.
 */
export function multipartBody(
  parts: MultipartPart[],
  { boundary = `----hd${randomBytes(8).toString('hex')}`, close = true } = {},
): { payload: Buffer; headers: { 'content-type': string } } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    const type = part.contentType === undefined ? '' : `Content-Type: ${part.contentType}\r\n`;
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n${type}\r\n`),
    );
    chunks.push(Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value));
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/**
 * Makes `app.inject(...)` send `Authorization: Bearer <token>` unless the test's own headers name
 * `authorization` (a test of missing credentials sets it to undefined).
 */
function authorizeInjectsAs(app: FastifyInstance, token: string): void {
  const inject = app.inject.bind(app) as (options: InjectOptions | string) => Promise<LightMyRequestResponse>;
  const withKey = (options: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const given = typeof options === 'string' ? { url: options } : options;
    const headers: Record<string, unknown> = { ...(given.headers ?? {}) };
    if (!('authorization' in headers)) headers.authorization = `Bearer ${token}`;
    else if (headers.authorization === undefined) delete headers.authorization;
    return inject({ ...given, headers } as InjectOptions);
  };
  Object.defineProperty(app, 'inject', { value: withKey });
}

/** A request with another key (an organization's), for isolation tests. */
export function asKey(key: string | undefined): { authorization: string | undefined } {
  return { authorization: key === undefined ? undefined : `Bearer ${key}` };
}
