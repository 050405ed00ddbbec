import { once } from 'node:events';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/redis-server.js';
import { createTestDatabase } from '../../../test/test-env.js';
import { openDatabase } from '../src/index.js';
import healthRoute from '../src/routes/health.route.js';
import { startApi, type ApiHarness } from './api-harness.js';

const READY = { status: 'ok', checks: { database: 'ok', schema: 'ok', redis: 'ok' } };

async function onDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('GET /readyz', () => {
  let api: ApiHarness | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('answers 200 on a database migrated to the latest migration, with Redis connected', async () => {
    api = await startApi();
    const res = await api.app.inject({ url: '/readyz' });
    expect({ status: res.statusCode, body: res.json<unknown>() }).toEqual({ status: 200, body: READY });
  });

  it('answers 503 while the last migration is missing, and 200 once it is applied', async () => {
    const databaseUrl = await createTestDatabase();
    const [latest] = await onDatabase(databaseUrl, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        'delete from schema_migrations where name = (select max(name) from schema_migrations) returning name',
      );
      return rows.map((row) => row.name);
    });
    api = await startApi({ DATABASE_URL: databaseUrl });

    const behind = await api.app.inject({ url: '/readyz' });
    expect({ status: behind.statusCode, body: behind.json<unknown>() }).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { database: 'ok', schema: 'not migrated', redis: 'ok' } },
    });

    // What the migration Job does last; the next probe sees it.
    await onDatabase(databaseUrl, (client) =>
      client.query('insert into schema_migrations (name, timestamp) values ($1, now())', [latest]),
    );
    const migrated = await api.app.inject({ url: '/readyz' });
    expect({ status: migrated.statusCode, body: migrated.json<unknown>() }).toEqual({ status: 200, body: READY });
  });

  it('answers 503 when the database is unreachable, and stays ready while only Redis is', async () => {
    const closedPort = await freePort();
    const offline = (url: string) =>
      openDatabase({ kind: 'postgres', url, poolSize: 1, preparedStatements: false }, 'UTC');
    const unreachableDb = await offline(`postgres://postgres@127.0.0.1:${closedPort}/helpdesk`);
    const reachableDb = await offline(await createTestDatabase());
    // Configured as the api's rate-limit connection is: it fails fast instead of queueing.
    const redis = new Redis(`redis://127.0.0.1:${closedPort}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 1000,
    });
    redis.on('error', () => undefined);
    const probe = async (db: typeof reachableDb) => {
      const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
      await app.register(healthRoute, { db, redis });
      try {
        const res = await app.inject({ url: '/readyz' });
        return { status: res.statusCode, body: res.json<unknown>() };
      } finally {
        await app.close();
      }
    };
    try {
      expect(await probe(unreachableDb)).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { database: 'unreachable', schema: 'unknown', redis: 'unreachable' } },
      });
      // Writes keep committing into the outbox while Redis is away: no reason to leave the Service.
      expect(await probe(reachableDb)).toEqual({
        status: 200,
        body: { status: 'ok', checks: { database: 'ok', schema: 'ok', redis: 'unreachable' } },
      });
    } finally {
      redis.disconnect();
      await unreachableDb.destroy();
      await reachableDb.destroy();
    }
  });

  it("answers first with another readiness's reason (the embedded gateway's), then with its own checks", async () => {
    const db = await openDatabase(
      { kind: 'postgres', url: await createTestDatabase(), poolSize: 1, preparedStatements: false },
      'UTC',
    );
    let reason: string | undefined = 'draining';
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    await app.register(healthRoute, { db, redis: undefined, notReadyBecause: () => reason });
    const probe = async () => {
      const res = await app.inject({ url: '/readyz' });
      return { status: res.statusCode, body: res.json<unknown>() };
    };
    try {
      expect(await probe()).toEqual({ status: 503, body: { status: 'draining' } });
      reason = 'events unavailable';
      expect(await probe()).toEqual({ status: 503, body: { status: 'events unavailable' } });
      reason = undefined;
      expect(await probe()).toEqual({
        status: 200,
        body: { status: 'ok', checks: { database: 'ok', schema: 'ok', redis: 'not configured' } },
      });
    } finally {
      await app.close();
      await db.destroy();
    }
  });

  it('fails at once when the api starts closing (SIGTERM), while a request is still in flight', async () => {
    api = await startApi();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as AddressInfo;
    // As the kubelet probes: a new connection each time, never a kept-alive one.
    const readyz = (): Promise<number | string> =>
      new Promise((resolve) => {
        get({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
      });
    expect(await readyz()).toBe(200);

    // A request whose body has not all arrived: in flight until the rest is sent.
    const body = JSON.stringify({ name: 'in-flight-while-closing' });
    const inFlight: Socket = connect(port, '127.0.0.1');
    try {
      await once(inFlight, 'connect');
      let answer = '';
      inFlight.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const answered = once(inFlight, 'end');
      const received = once(api.app.server, 'request');
      inFlight.write(
        `POST /api/organizations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.adminToken}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
      );
      await received;

      const closed = api.app.close();
      // Every probe fails from here on: reset while the listener closes, refused once it has (a
      // 503 would do as well). All of that before the request in flight has its answer.
      const failed = [503, 'ECONNRESET', 'ECONNREFUSED'];
      expect(failed).toContain(await readyz());
      expect(failed).toContain(await readyz());
      expect(answer).toBe('');

      inFlight.write(body.slice(5));
      await answered;
      expect(answer).toMatch(/^HTTP\/1\.1 201 /);
      await closed;
    } finally {
      inFlight.destroy();
    }
  });
});
