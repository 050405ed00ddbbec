import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HelpdeskClient } from '../../packages/client/src/index.js';
import { E2E_ADMIN_TOKEN, E2E_SECRET_KEY } from '../e2e/contract-scenario.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { freePort } from '../redis-server.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { createTestDatabase, redisPrefix, testEnv } from '../test-env.js';
import { NodeWebSocket, range, Recorder } from './recorder.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const GATEWAY = join(REPO_ROOT, 'services/gateway/dist/main.js');

// @helpdesk/client against the distributed mode: api and gateway processes on Postgres and Redis.
describe('@helpdesk/client against api and gateway processes', () => {
  let api: ServiceProcess;
  let gateway: ServiceProcess;
  let gatewayPort: number;
  let proxy: TcpProxy;
  let filesDir: string;
  let shared: Record<string, string>;
  let tenant: TestOrganization;
  let client: HelpdeskClient;
  const recorders: Recorder[] = [];

  /** The gateway on a port of its own, so that a restarted one is found where the old one was. */
  const startGateway = () => startService(GATEWAY, { ...shared, PORT: String(gatewayPort) });

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'hd-client-fleet-'));
    shared = { REDIS_URL: testEnv().redisUrl, REDIS_PREFIX: redisPrefix(), SECRET_KEY: E2E_SECRET_KEY };
    gatewayPort = await freePort();
    [api, gateway] = await Promise.all([
      startService(join(REPO_ROOT, 'services/api/dist/main.js'), {
        ...shared,
        DATABASE_URL: await createTestDatabase(),
        ADMIN_TOKEN: E2E_ADMIN_TOKEN,
        FILES_DIR: filesDir,
      }),
      startGateway(),
    ]);
    proxy = await startTcpProxy(gatewayPort);
    tenant = await createOrganization(
      { baseUrl: `http://127.0.0.1:${api.port}`, adminToken: E2E_ADMIN_TOKEN },
      'client-fleet',
    );
    client = createClient({
      baseUrl: `http://127.0.0.1:${api.port}`,
      apiKey: tenant.key,
      WebSocket: NodeWebSocket,
      // The ingress's job here: /ws/ goes to the gateway (through a proxy the test can cut).
      socketUrl: `ws://127.0.0.1:${proxy.port}`,
    });
  }, 60_000);

  afterAll(async () => {
    for (const recorder of recorders) recorder.subscription.close();
    await proxy?.close();
    await Promise.all([api?.stop(), gateway?.stop()]);
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  const send = async (message: string) =>
    (await client.sendMessage({ helpDesk: String(tenant.helpDesk.uuid), message })).uuid;

  it('receives the three events typed, then every event once and in order through a cut and a gateway restart', async () => {
    const live = new Recorder(client.subscribe(tenant.name));
    recorders.push(live);
    await live.untilState('connected');

    const uuids = [await send('first')];
    await live.untilEvents(3);
    const [created, desk, updated] = live.events;
    expect([created?.type, desk?.type, updated?.type]).toEqual(['new_message', 'update_helpdesk', 'update_message']);
    expect(created?.type === 'new_message' && created.data).toMatchObject({ uuid: uuids[0], message: 'first' });
    expect(desk?.type === 'update_helpdesk' && desk.data.last_message?.uuid).toBe(uuids[0]);
    expect(updated?.type === 'update_message' && updated.data).toMatchObject({ uuid: uuids[0], status: 'sent' });

    // The network drops mid-stream; messages keep coming meanwhile.
    uuids.push(await send('before the cut'));
    expect(proxy.cut()).toBeGreaterThan(0);
    for (const text of ['while cut 1', 'while cut 2']) uuids.push(await send(text));
    await live.untilEvents(uuids.length * 3);

    // The gateway drains (1012) and comes back on the same port; messages keep coming while it is away.
    await live.untilState('connected');
    const drained = live.states.length;
    expect(await gateway.stop()).toBe(0);
    await live.until(
      (r) => r.states.slice(drained).some((s) => s.type === 'disconnected' && s.code === 1012 && s.retryInMs === 0),
      'a 1012 close, answered by an immediate reconnect',
    );
    for (const text of ['gateway away 1', 'gateway away 2']) uuids.push(await send(text));
    gateway = await startGateway();
    uuids.push(await send('after the restart'));

    await live.untilEvents(uuids.length * 3);
    expect(live.events.map((e) => e.id)).toEqual(range(1, uuids.length * 3));
    expect(live.events.flatMap((e) => (e.type === 'new_message' ? [e.data.uuid] : []))).toEqual(uuids);
    expect(live.resyncs).toEqual([]);
    expect(live.connects()).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
