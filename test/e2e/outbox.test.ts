import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  historyKey,
  organizationChannel,
  chatSocketPath,
  LAST_EVENT_ID_PARAM,
} from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { startPrivateRedis, type PrivateRedis } from '../redis-server.js';
import { post, socketTicket, type Json } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { createTestDatabase, redisPrefix } from '../test-env.js';
import { E2E_ADMIN_TOKEN, E2E_SECRET_KEY } from './contract-scenario.js';
import { ReliableSocket, type Frame } from './reliable-socket.js';

// Issue 4, item 1: nothing committed is ever lost, and each organization's events arrive in order.
// Real processes on real Postgres and a private Redis that the tests kill and restart.

const API = join(REPO_ROOT, 'services/api/dist/main.js');
const GATEWAY = join(REPO_ROOT, 'services/gateway/dist/main.js');

/** Everything a test started, stopped after it whatever happened. */
const started: { processes: ServiceProcess[]; redis: PrivateRedis[]; sockets: ReliableSocket[]; dirs: string[] } = {
  processes: [],
  redis: [],
  sockets: [],
  dirs: [],
};

afterEach(async () => {
  for (const socket of started.sockets.splice(0)) socket.close();
  // SIGKILL: a test may leave an api waiting on a Redis that is gone; nothing here needs a drain.
  const running = started.processes.splice(0).filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  // SIGKILL: a test may leave a process waiting on a Redis that is gone; nothing here needs a drain.
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  await Promise.all(started.redis.splice(0).map((r) => r.stop()));
  await Promise.all(started.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

interface Stack {
  redis: PrivateRedis;
  prefix: string;
  databaseUrl: string;
  apiEnv: Record<string, string>;
  gatewayEnv: Record<string, string>;
}

async function stack(): Promise<Stack> {
  const redis = await startPrivateRedis();
  started.redis.push(redis);
  const prefix = redisPrefix();
  const filesDir = await mkdtemp(join(tmpdir(), 'hd-outbox-files-'));
  started.dirs.push(filesDir);
  const databaseUrl = await createTestDatabase();
  // METRICS_PORT=0: several processes of a kind run at once here; a fixed metrics port would clash.
  const shared = { REDIS_URL: redis.url, REDIS_PREFIX: prefix, SECRET_KEY: E2E_SECRET_KEY, METRICS_PORT: '0' };
  return {
    redis,
    prefix,
    databaseUrl,
    gatewayEnv: shared,
    apiEnv: {
      ...shared,
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      FILES_DIR: filesDir,
      // Short, so a new leader takes over quickly and retries come soon in these tests.
      OUTBOX_POLL_INTERVAL_MS: '200',
      OUTBOX_RETRY_MAX_MS: '500',
    },
  };
}

async function start(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startService(entry, env);
  started.processes.push(service);
  return service;
}

const http = (service: ServiceProcess) => `http://127.0.0.1:${service.port}`;
const wsBase = (service: ServiceProcess) => `ws://127.0.0.1:${service.port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A socket of the tenant on the gateway, reconnecting with last_event_id as clients should. */
async function reliableSocket(api: ServiceProcess, gateway: ServiceProcess, tenant: TestOrganization, replay: boolean) {
  const socket = await ReliableSocket.open(async (lastEventId) => {
    const ticket = await socketTicket(http(api), tenant.name, tenant.key);
    const last = lastEventId === undefined ? '' : `&${LAST_EVENT_ID_PARAM}=${lastEventId}`;
    return `${wsBase(gateway)}${chatSocketPath(tenant.name)}?token=${ticket}${last}`;
  }, replay);
  started.sockets.push(socket);
  return socket;
}

/** Ids kept in the organization's history stream on the bus. */
async function streamIds(redisUrl: string, prefix: string, organization: string): Promise<number[]> {
  const redis = new Redis(redisUrl);
  try {
    const entries = await redis.xrange(historyKey(organizationChannel(prefix, organization)), '-', '+');
    return entries.map(([id]) => Number(id.split('-')[0]));
  } finally {
    redis.disconnect();
  }
}

const sendMessage = (api: ServiceProcess, tenant: TestOrganization, message: string) =>
  post(http(api), '/api/send-message/', { message, help_desk: tenant.helpDesk.uuid }, tenant.key);

/** The message uuid each update_message frame carries, in order. */
const updatedUuids = (frames: Frame[]) =>
  frames.filter((f) => f.type === 'update_message').map((f) => (JSON.parse(f.data) as Json).uuid);

describe('outbox relay, end to end', () => {
  it('Redis killed and restarted while messages are posted: every socket gets every event once, in order', async () => {
    const { redis, prefix, apiEnv, gatewayEnv } = await stack();
    const [api, gatewayA, gatewayB] = await Promise.all([
      start(API, apiEnv),
      start(GATEWAY, gatewayEnv),
      start(GATEWAY, gatewayEnv),
    ]);
    const tenants = [
      await createOrganization({ baseUrl: http(api), adminToken: E2E_ADMIN_TOKEN }, 'kill-a'),
      await createOrganization({ baseUrl: http(api), adminToken: E2E_ADMIN_TOKEN }, 'kill-b'),
    ];
    // Each socket fills a gap itself, reconnecting with last_event_id (the gateway replays).
    const sockets = await Promise.all(
      tenants.map(async (tenant) => [
        await reliableSocket(api, gatewayA, tenant, true),
        await reliableSocket(api, gatewayB, tenant, true),
      ]),
    );

    const perTenant = 40;
    const answers: Json[][] = tenants.map(() => []);
    const posting = tenants.map(async (tenant, t) => {
      for (let i = 0; i < perTenant; i += 1) {
        answers[t]!.push(await sendMessage(api, tenant, `message ${i}`));
        await sleep(20);
      }
    });
    // Redis dies while every tenant is posting, and comes back after more posts committed without it.
    const answered = () => Math.min(...answers.map((a) => a.length));
    await expect.poll(answered, { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(10);
    await redis.kill();
    const atKill = answered();
    await expect.poll(answered, { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(atKill + 5);
    await redis.restart();
    await Promise.all(posting);
    expect(answered()).toBe(perTenant);

    const events = perTenant * 3;
    for (const [t, tenant] of tenants.entries()) {
      const expected = answers[t]!.map((answer) => answer.uuid);
      for (const socket of sockets[t]!) {
        const frames = await socket.waitForFrames(events);
        expect(frames.map((f) => f.id)).toEqual(range(1, events));
        expect(updatedUuids(frames)).toEqual(expected);
      }
      // The relay's part: every event committed after the restart's empty Redis came up is in the
      // new history, once, in order, up to the last one.
      await expect.poll(() => streamIds(redis.url, prefix, tenant.name), { timeout: 10_000 }).toContain(events);
      const kept = await streamIds(redis.url, prefix, tenant.name);
      expect(kept).toEqual(range(kept[0]!, events));
    }
    // Only now that every frame has arrived: a duplicate or a resync among the last ones counts too.
    for (const socket of sockets.flat()) {
      expect({ duplicates: socket.duplicates, resyncs: socket.resyncs }).toEqual({ duplicates: 0, resyncs: 0 });
    }
  }, 60_000);

  it('the api killed between commit and publish: a new api publishes what it committed', async () => {
    const { redis, prefix, databaseUrl, apiEnv, gatewayEnv } = await stack();
    const [api, gateway] = await Promise.all([start(API, apiEnv), start(GATEWAY, gatewayEnv)]);
    const tenant = await createOrganization({ baseUrl: http(api), adminToken: E2E_ADMIN_TOKEN }, 'crash');
    const socket = await reliableSocket(api, gateway, tenant, true);
    const first = await sendMessage(api, tenant, 'before');
    const f3 = await socket.waitForFrames(3);
    expect(updatedUuids(f3)).toEqual([first.uuid]);

    // Redis down: the post commits and answers; its events wait in the outbox.
    await redis.kill();
    const second = await sendMessage(api, tenant, 'committed, not published');
    const database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    try {
      const waiting = await database.query<{ seq: string }>(
        'select seq from outbox_events where published_at is null order by id',
      );
      // 1 to 3 too when Redis died after publishing them but before the api heard it did.
      expect(waiting.rows.map((r) => Number(r.seq)).slice(-3)).toEqual([4, 5, 6]);
    } finally {
      await database.end();
    }
    await api.stop('SIGKILL');

    await redis.restart();
    const probe = new Redis(redis.url);
    try {
      await expect
        .poll(async () => (await probe.pubsub('NUMSUB', organizationChannel(prefix, tenant.name)))[1], {
          timeout: 15_000,
        })
        .toBe(1);
    } finally {
      probe.disconnect();
    }
    await start(API, apiEnv);
    const frames = await socket.waitForFrames(6);
    expect(frames.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(updatedUuids(frames)).toEqual([first.uuid, second.uuid]);
    expect(frames[5]!.data).toContain('committed, not published');
    expect((await streamIds(redis.url, prefix, tenant.name)).slice(-3)).toEqual([4, 5, 6]);
  }, 60_000);

  it('two api replicas: one publishes (the lock holder), order holds under concurrent posts, the other takes over', async () => {
    const { databaseUrl, apiEnv, gatewayEnv } = await stack();
    const apis = await Promise.all([start(API, apiEnv), start(API, apiEnv)]);
    const gateway = await start(GATEWAY, gatewayEnv);
    const leading = () =>
      apis.filter((api) => api.output.some((line) => line.includes('this replica now publishes events')));
    expect(leading()).toHaveLength(1);
    const database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    try {
      const locks = await database.query(
        "select pid from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())",
      );
      expect(locks.rowCount).toBe(1);
    } finally {
      await database.end();
    }

    const tenant = await createOrganization({ baseUrl: http(apis[0]), adminToken: E2E_ADMIN_TOKEN }, 'pair');
    const socket = await reliableSocket(apis[0], gateway, tenant, false);
    const perApi = 25;
    const answers = await Promise.all(
      apis.map(async (api, a) => {
        const mine: Json[] = [];
        for (let i = 0; i < perApi; i += 1) mine.push(await sendMessage(api, tenant, `api ${a} message ${i}`));
        return mine;
      }),
    );
    const frames = await socket.waitForFrames(perApi * 2 * 3);
    expect(frames.map((f) => f.id)).toEqual(range(1, perApi * 6));
    // Each message's three events are consecutive, and each api's messages keep their order.
    const types = frames.map((f) => f.type);
    for (let i = 0; i < types.length; i += 3) {
      expect(types.slice(i, i + 3)).toEqual(['new_message', 'update_helpdesk', 'update_message']);
    }
    const uuids = updatedUuids(frames);
    for (const mine of answers) {
      const mineUuids = mine.map((m) => m.uuid);
      expect(uuids.filter((u) => mineUuids.includes(u))).toEqual(mineUuids);
    }

    // The leader dies: the other takes the lock and publishes what is posted to it.
    const [leader] = leading();
    const survivor = apis.find((api) => api !== leader)!;
    await leader!.stop('SIGKILL');
    const after = await sendMessage(survivor, tenant, 'after the leader died');
    const more = await socket.waitForFrames(perApi * 6 + 3, 15_000);
    expect(more.slice(-3).map((f) => f.id)).toEqual(range(perApi * 6 + 1, perApi * 6 + 3));
    expect(updatedUuids(more.slice(-3))).toEqual([after.uuid]);
    // Polled: its log line comes through a pipe, and may be read after the frames it preceded.
    await expect
      .poll(() => survivor.output.some((line) => line.includes('this replica now publishes events')))
      .toBe(true);

    // SIGTERM drains: requests in flight finish, the relay publishes once more, the api exits 0.
    const logged = survivor.output.length;
    const last = sendMessage(survivor, tenant, 'while draining');
    // In flight: the api has read the request (its log says so) and not yet answered it.
    await expect.poll(() => survivor.output.slice(logged).some((line) => line.includes('incoming request'))).toBe(true);
    expect(await survivor.stop('SIGTERM')).toBe(0);
    await last;
    const drained = await socket.waitForFrames(perApi * 6 + 6);
    expect(drained.at(-1)!.data).toContain('while draining');
  }, 60_000);
});
