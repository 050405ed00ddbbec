import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizationChannel, chatSocketPath, LAST_EVENT_ID_PARAM } from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { startPrivateRedis, type PrivateRedis } from '../redis-server.js';
import { post, socketTicket } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { createTestDatabase, redisPrefix } from '../test-env.js';
import { RecordingSocket } from '../ws-client.js';
import { E2E_ADMIN_TOKEN, E2E_SECRET_KEY } from './contract-scenario.js';

// Scale-out: two api and two gateway processes on one Postgres and a private Redis that the
// test kills and restarts; sockets of one organization spread over both gateways.
describe('fleet: 2 api and 2 gateway processes behind Redis', () => {
  let redis: PrivateRedis;
  let prefix: string;
  let filesDir: string;
  const apis: ServiceProcess[] = [];
  const gateways: ServiceProcess[] = [];
  let a: TestOrganization;
  let b: TestOrganization;
  const sockets: RecordingSocket[] = [];

  let gatewayEnv: Record<string, string>;

  const http = (i: number) => `http://127.0.0.1:${apis[i]!.port}`;
  const ws = (i: number) => `ws://127.0.0.1:${gateways[i]!.port}`;
  const open = async (gateway: number, tenant: TestOrganization) => {
    const ticket = await socketTicket(http(0), tenant.name, tenant.key);
    const socket = await RecordingSocket.open(`${ws(gateway)}${chatSocketPath(tenant.name)}?token=${ticket}`);
    sockets.push(socket);
    return socket;
  };
  const types = (frames: string[]) => frames.map((f) => (JSON.parse(f) as { type: string }).type);

  beforeAll(async () => {
    redis = await startPrivateRedis();
    prefix = redisPrefix();
    filesDir = await mkdtemp(join(tmpdir(), 'hd-fleet-files-'));
    const databaseUrl = await createTestDatabase();
    const shared = { REDIS_URL: redis.url, REDIS_PREFIX: prefix, SECRET_KEY: E2E_SECRET_KEY };
    const apiEnv = { ...shared, DATABASE_URL: databaseUrl, ADMIN_TOKEN: E2E_ADMIN_TOKEN, FILES_DIR: filesDir };
    apis.push(
      ...(await Promise.all([0, 1].map(() => startService(join(REPO_ROOT, 'services/api/dist/main.js'), apiEnv)))),
    );
    gatewayEnv = shared;
    gateways.push(
      ...(await Promise.all([0, 1].map(() => startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), shared)))),
    );
    a = await createOrganization({ baseUrl: http(0), adminToken: E2E_ADMIN_TOKEN }, 'fleet-a');
    b = await createOrganization({ baseUrl: http(1), adminToken: E2E_ADMIN_TOKEN }, 'fleet-b');
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([...apis, ...gateways].map((p) => p.stop()));
    await redis?.stop();
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  it("delivers every organization's events to its sockets on both gateways, whichever api took the post", async () => {
    const aOnFirst = [await open(0, a), await open(0, a)];
    const aOnSecond = await open(1, a);
    const bOnSecond = await open(1, b);

    await post(http(0), '/api/send-message/', { message: 'via api 1', help_desk: a.helpDesk.uuid }, a.key);
    await post(http(1), '/api/send-message/', { message: 'via api 2', help_desk: a.helpDesk.uuid }, a.key);
    for (const socket of [...aOnFirst, aOnSecond]) {
      const frames = await socket.waitForFrames(6);
      expect(types(frames)).toEqual([
        'new_message',
        'update_helpdesk',
        'update_message',
        'new_message',
        'update_helpdesk',
        'update_message',
      ]);
      expect(frames[0]).toContain('via api 1');
      expect(frames[3]).toContain('via api 2');
    }
    // B's socket shares a gateway with A's, and still saw none of A's: its first frames are its own.
    await post(http(1), '/api/send-message/', { message: 'only b', help_desk: b.helpDesk.uuid }, b.key);
    const bFrames = await bOnSecond.waitForFrames(3);
    expect(bFrames.join()).toContain('only b');
    expect(bFrames.join()).not.toContain('via api');
  });

  it('gateways resubscribe by themselves when Redis restarts under them', async () => {
    const socket = await open(1, a);
    await open(0, a);
    const channel = organizationChannel(prefix, a.name);
    await redis.kill();
    await redis.restart();
    const probe = new Redis(redis.url);
    try {
      // Both gateways host sockets of A, so both must be back on its channel.
      await expect
        .poll(async () => ((await probe.pubsub('NUMSUB', channel)) as [string, number])[1], { timeout: 15_000 })
        .toBe(2);
    } finally {
      probe.disconnect();
    }
    const before = socket.frames.length;
    await post(http(0), '/api/send-message/', { message: 'after restart', help_desk: a.helpDesk.uuid }, a.key);
    const frames = await socket.waitForFrames(before + 3, 10_000);
    expect(frames.slice(before).join()).toContain('after restart');
  }, 30_000);

  it('SIGTERM drains a gateway under load: 1012, reconnect to the other with last_event_id, nothing lost', async () => {
    // A third gateway, drained here: the other tests keep both of theirs, whatever order they run in.
    gateways.push(await startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), gatewayEnv));
    const draining = gateways.length - 1;
    const onFirst = await open(draining, a);
    const closed = new Promise<number>((resolve) => onFirst.ws.once('close', (code) => resolve(code)));
    const idOf = (frame: string) => (JSON.parse(frame) as { id: number }).id;
    // Posts keep coming while the gateway drains.
    const posting = (async () => {
      for (let i = 0; i < 20; i += 1) {
        await post(http(i % 2), '/api/send-message/', { message: `load ${i}`, help_desk: a.helpDesk.uuid }, a.key);
      }
    })();
    await onFirst.waitForFrames(3, 10_000);
    const stopped = gateways[draining]!.stop('SIGTERM');
    expect(await closed).toBe(1012);
    expect(await stopped).toBe(0);
    const seen = [...onFirst.frames];
    const lastSeen = idOf(seen[seen.length - 1]!);
    const ticket = await socketTicket(http(0), a.name, a.key);
    const resumed = await RecordingSocket.open(
      `${ws(1)}${chatSocketPath(a.name)}?token=${ticket}&${LAST_EVENT_ID_PARAM}=${lastSeen}`,
    );
    sockets.push(resumed);
    await posting;
    await post(http(1), '/api/send-message/', { message: 'after drain', help_desk: a.helpDesk.uuid }, a.key);
    await expect.poll(() => resumed.frames.join().includes('after drain'), { timeout: 10_000 }).toBe(true);
    // Before and after the move, together: every id once, in order, no gap.
    const ids = [...seen, ...resumed.frames].map(idOf);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0]! + i));
    const texts = [...seen, ...resumed.frames].join();
    for (let i = 0; i < 20; i += 1) expect(texts).toContain(`load ${i}`);
  }, 30_000);
});
