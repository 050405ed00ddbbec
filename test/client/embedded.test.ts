import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_TYPES_PATH, fetchServedDocument, renderTypes } from '../../packages/client/scripts/openapi-types.js';
import { createClient, type HelpdeskClient, type Message } from '../../packages/client/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { freePort } from '../redis-server.js';
import { bearer, post } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { NodeWebSocket, range, Recorder } from './recorder.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');
/**
 * How far back a resume is replayed, small enough that a test can outrun it with a few dozen
 * messages. The embedded mode replays from the outbox table (kept for OUTBOX_RETENTION_SECONDS),
 * so the replay's own bound, WS_REPLAY_MAX_EVENTS, is what a resume can fall behind of.
 */
const HISTORY_MAX_EVENTS = 90;

// @helpdesk/client against `pnpm start`: one process, PGlite, the in-process bus, on one port.
describe('@helpdesk/client against the embedded server', () => {
  let dataDir: string;
  let port: number;
  let server: ServiceProcess;
  let adminToken: string;
  let proxy: TcpProxy;
  const recorders: Recorder[] = [];
  const base = () => `http://127.0.0.1:${port}`;

  const start = () =>
    startService(
      ENTRY,
      {
        DATA_DIR: dataDir,
        PORT: String(port),
        HISTORY_MAX_EVENTS: String(HISTORY_MAX_EVENTS),
        WS_REPLAY_MAX_EVENTS: String(HISTORY_MAX_EVENTS),
      },
      60_000,
      /is up/,
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hd-client-embedded-'));
    port = await freePort();
    server = await start();
    adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
    proxy = await startTcpProxy(port);
  }, 90_000);

  afterAll(async () => {
    for (const recorder of recorders) recorder.subscription.close();
    await proxy?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A client of the tenant; its socket goes through the proxy when asked (so a test can cut it). */
  function clientOf(tenant: TestOrganization, throughProxy = false): HelpdeskClient {
    return createClient({
      baseUrl: base(),
      apiKey: tenant.key,
      WebSocket: NodeWebSocket,
      ...(throughProxy ? { socketUrl: `ws://127.0.0.1:${proxy.port}` } : {}),
    });
  }

  function record(client: HelpdeskClient, organization: string, lastEventId?: number): Recorder {
    const recorder = new Recorder(client.subscribe(organization, { lastEventId }));
    recorders.push(recorder);
    return recorder;
  }

  it('subscribes, sends a message and a file, and receives the three events typed, data parsed', async () => {
    const tenant = await createOrganization({ baseUrl: base(), adminToken }, 'client');
    const client = clientOf(tenant);
    const live = record(client, tenant.name);
    await live.untilState('connected');

    const sent = await client.sendMessage({ helpDesk: String(tenant.helpDesk.uuid), message: 'olá' });
    const bytes = Buffer.from('%PDF-1.4 a small file\n');
    const withFile = await client.sendMessage({
      helpDesk: String(tenant.helpDesk.uuid),
      message: 'see attached',
      file: bytes,
      fileName: 'invoice.pdf',
      contentType: 'application/pdf',
    });
    await live.untilEvents(6);

    const history: Message[] = [];
    for await (const page of client.history(String(tenant.helpDesk.uuid))) history.push(...page);
    expect(history.map((m) => m.uuid)).toEqual([sent.uuid, withFile.uuid]);
    expect(live.events.map((e) => [e.type, e.id])).toEqual([
      ['new_message', 1],
      ['update_helpdesk', 2],
      ['update_message', 3],
      ['new_message', 4],
      ['update_helpdesk', 5],
      ['update_message', 6],
    ]);
    const [created, desk, updated] = live.events;
    expect(created?.data).toEqual({ ...sent, status: 'sending', updated_at: created?.data.created_at });
    expect(updated?.data).toEqual(history[0]);
    expect(desk?.type === 'update_helpdesk' && desk.data.last_message?.uuid).toBe(sent.uuid);
    expect(desk?.data).toMatchObject({ uuid: tenant.helpDesk.uuid, client: tenant.client });
    expect(live.events[5]?.data).toEqual(history[1]);

    expect(withFile.file).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/files\/.+\/invoice\.pdf$/);
    const file = await client.downloadFile(withFile.file!);
    expect([Buffer.from(await file.arrayBuffer()), file.type]).toEqual([bytes, 'application/pdf']);
    expect(live.resyncs).toEqual([]);
    expect(live.errors).toEqual([]);
  });

  it('has REST types generated from the OpenAPI document the api serves (else: pnpm --filter @helpdesk/client generate)', async () => {
    const served = await renderTypes(await fetchServedDocument(base()));
    expect(await readFile(GENERATED_TYPES_PATH, 'utf8')).toBe(served);
  });

  it('throws ApiError with the status and the DRF body', async () => {
    const tenant = await createOrganization({ baseUrl: base(), adminToken }, 'errors');
    const client = clientOf(tenant);
    await expect(client.sendMessage({ helpDesk: 'not-a-uuid', message: 'x' })).rejects.toMatchObject({
      name: 'ApiError',
      status: 400,
      body: { help_desk: ['Must be a valid UUID.'] },
    });
    const stranger = createClient({ baseUrl: base(), apiKey: 'hdk_not_a_key', WebSocket: NodeWebSocket });
    await expect(stranger.helpDesks(tenant.name).next()).rejects.toMatchObject({
      status: 401,
      detail: expect.any(String) as string,
    });
  });

  it('keeps every event once and in order while its connection is cut again and again', async () => {
    const tenant = await createOrganization({ baseUrl: base(), adminToken }, 'cut');
    const client = clientOf(tenant, true);
    const live = record(client, tenant.name);
    await live.untilState('connected');

    const uuids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      uuids.push((await client.sendMessage({ helpDesk: String(tenant.helpDesk.uuid), message: `m${i}` })).uuid);
      if (i % 4 === 1) {
        // Cut while events are in flight; the next posts happen while it is away.
        await live.untilState('connected');
        expect(proxy.cut()).toBeGreaterThan(0);
      }
    }
    await live.untilEvents(36);
    expect(live.events.map((e) => e.id)).toEqual(range(1, 36));
    expect(live.events.filter((e) => e.type === 'new_message').map((e) => e.data.uuid)).toEqual(uuids);
    expect(live.connects()).toBeGreaterThanOrEqual(4);
    expect(live.resyncs).toEqual([]);
  });

  it('a resume older than the kept history starts with resync, then live events', async () => {
    const tenant = await createOrganization({ baseUrl: base(), adminToken }, 'resync');
    const client = clientOf(tenant);
    for (let i = 0; i < HISTORY_MAX_EVENTS / 3 + 2; i += 1) {
      await post(base(), '/api/send-message/', { message: `old ${i}`, help_desk: tenant.helpDesk.uuid }, tenant.key);
    }
    const live = record(client, tenant.name, 1);
    await live.until((r) => r.resyncs.length === 1, 'a resync');
    expect(live.resyncs).toEqual([{ lastEventId: 1 }]);
    expect(live.events).toEqual([]);
    await client.sendMessage({ helpDesk: String(tenant.helpDesk.uuid), message: 'after' });
    await live.untilEvents(3);
    const next = HISTORY_MAX_EVENTS + 7;
    expect(live.events.map((e) => e.id)).toEqual([next, next + 1, next + 2]);
  });

  it('revoking the key ends the subscription with the reason, and asks for no ticket again', async () => {
    const tenant = await createOrganization({ baseUrl: base(), adminToken }, 'revoke');
    let tickets = 0;
    const client = clientOf(tenant);
    const live = new Recorder(
      client.subscribe(tenant.name, {
        getTicket: (organization) => ((tickets += 1), client.ticket(organization)),
      }),
    );
    recorders.push(live);
    await live.untilState('connected');
    const keys = (await (
      await fetch(`${base()}/api/organizations/${tenant.name}/api-keys/`, { headers: bearer(adminToken) })
    ).json()) as Array<{ uuid: string }>;
    const revoked = await fetch(`${base()}/api/organizations/${tenant.name}/api-keys/${keys[0]!.uuid}/`, {
      method: 'DELETE',
      headers: bearer(adminToken),
    });
    expect(revoked.status).toBe(204);
    await live.untilState('closed');
    expect(live.states.at(-1)).toEqual({
      type: 'closed',
      reason: 'key-revoked',
      code: 4001,
      detail: 'API key revoked',
    });
    expect(tickets).toBe(1);

    // A subscription started with the revoked key stops at its first ticket.
    const late = record(client, tenant.name);
    await late.untilState('closed');
    expect(late.states).toEqual([
      { type: 'connecting', attempt: 0 },
      { type: 'closed', reason: 'unauthorized', code: undefined, detail: expect.any(String) as string },
    ]);
  });
});
