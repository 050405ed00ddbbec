import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSocketPath } from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { freePort } from '../redis-server.js';
import { bearer, post, socketTicket } from '../rest.js';
import { createOrganization, createOrganizationKey } from '../organization.js';
import { RecordingSocket, upgradeRefusal } from '../ws-client.js';
import { runContractScenario } from './contract-scenario.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');

// `pnpm start` as a new user runs it: one process, PGlite, in-process bus, files on disk, one
// port, and no configuration at all: the secrets are generated into DATA_DIR/.env on first start.
describe('embedded: everything in one process on one port', () => {
  let dataDir: string;
  let server: ServiceProcess;
  /** The process of the first start (a test restarts `server`): it alone prints the generated key. */
  let firstStart: ServiceProcess;
  let adminToken: string;
  let metricsPort: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hd-embedded-'));
    metricsPort = await freePort();
    server = await startService(ENTRY, { DATA_DIR: dataDir, METRICS_PORT: String(metricsPort) }, 60_000, /is up/);
    firstStart = server;
    const dotEnv = await readFile(join(dataDir, '.env'), 'utf8');
    adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(dotEnv)?.[1] ?? '';
    expect(dotEnv).toMatch(/^SECRET_KEY=.{43}$/m);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the generated administrator key once, with how to use it', async () => {
    expect(adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => firstStart.output.join('\n')).toContain(`Administrator key (shown once): ${adminToken}`);
    const res = await fetch(`http://127.0.0.1:${server.port}/api/organizations/`);
    expect(res.status).toBe(401);
  });

  it('speaks the contract on REST and /ws/chat/ through one port', async () => {
    const origin = `127.0.0.1:${server.port}`;
    await runContractScenario(`http://${origin}`, `ws://${origin}`, adminToken);
  });

  it("revoking a key closes the sockets its tickets opened (4001) and refuses them; others' stay", async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const wsBase = `ws://127.0.0.1:${server.port}`;
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'revoke');
    const spare = await createOrganizationKey({ baseUrl: base, adminToken }, tenant.name, 'spare');
    const keys = (await (
      await fetch(`${base}/api/organizations/${tenant.name}/api-keys/`, { headers: bearer(adminToken) })
    ).json()) as Array<{ uuid: string; name: string }>;
    const agents = keys.find((k) => k.name === 'agents')!;
    const ticket = await socketTicket(base, tenant.name, tenant.key);
    const revoked = await RecordingSocket.open(`${wsBase}${chatSocketPath(tenant.name)}?token=${ticket}`);
    const kept = await RecordingSocket.open(
      `${wsBase}${chatSocketPath(tenant.name)}?token=${await socketTicket(base, tenant.name, spare)}`,
    );
    const closed = new Promise<number>((resolve) => revoked.ws.once('close', resolve));

    const deleted = await fetch(`${base}/api/organizations/${tenant.name}/api-keys/${agents.uuid}/`, {
      method: 'DELETE',
      headers: bearer(adminToken),
    });
    expect(deleted.status).toBe(204);
    expect(await closed).toBe(4001);
    expect(await upgradeRefusal(`${wsBase}${chatSocketPath(tenant.name)}?token=${ticket}`)).toEqual({
      status: 401,
      body: { detail: 'Invalid or expired ticket.' },
    });
    const refusedTicket = await fetch(`${base}/api/ws-tickets/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(tenant.key) },
      body: JSON.stringify({ organization: tenant.name }),
    });
    expect(refusedTicket.status).toBe(401);
    await post(base, '/api/send-message/', { help_desk: tenant.helpDesk.uuid, message: 'still live' }, spare);
    expect((await kept.waitForFrames(1))[0]).toContain('still live');
    kept.close();
  });

  it('writes no ticket to its logs, even from a plain GET of a socket URL (answered by the api)', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'logs');
    const ticket = await socketTicket(base, tenant.name, tenant.key);
    const plain = await fetch(`${base}${chatSocketPath(tenant.name)}?token=${ticket}&x=1`);
    expect(plain.status).toBe(404);
    await expect.poll(() => server.output.join('\n')).toContain('token=[redacted]&x=1');
    // (The administrator key is printed once at first start, on purpose; keys in use never are.)
    for (const secret of [ticket, tenant.key]) {
      expect(server.output.filter((line) => line.includes(secret))).toEqual([]);
    }
  });

  it("answers /readyz with the api's checks (database and schema) on its one port", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
    expect([res.status, await res.json()]).toEqual([
      200,
      { status: 'ok', checks: { database: 'ok', schema: 'ok', redis: 'not configured' } },
    ]);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
  });

  it("serves the api's and the gateway's metrics together on the metrics port", async () => {
    // A socket and a message of its own, so every counter below has moved whatever ran before.
    const base = `http://127.0.0.1:${server.port}`;
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'metrics');
    const socket = await RecordingSocket.open(
      `ws://127.0.0.1:${server.port}${chatSocketPath(tenant.name)}?token=${await socketTicket(base, tenant.name, tenant.key)}`,
    );
    await post(base, '/api/send-message/', { help_desk: tenant.helpDesk.uuid, message: 'counted' }, tenant.key);
    await socket.waitForFrames(3);
    socket.close();
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(
      /^helpdesk_api_http_request_duration_seconds_count\{method="POST",route="\/api\/send-message\/",status="201"\} [1-9]/m,
    );
    expect(text).toMatch(/^helpdesk_gateway_sockets_opened_total [1-9]/m);
    expect(text).toMatch(/^helpdesk_api_outbox_lag_seconds /m);
    expect(text).toMatch(/^helpdesk_api_event_publish_delay_seconds_count [1-9]/m);
    expect(text).toMatch(/^helpdesk_process_resident_memory_bytes /m);
  });

  it('keeps its data and its secrets across a restart', async () => {
    const list = async () =>
      (await (
        await fetch(`http://127.0.0.1:${server.port}/api/organizations/`, {
          headers: { authorization: `Bearer ${adminToken}` },
        })
      ).json()) as unknown[];
    await createOrganization({ baseUrl: `http://127.0.0.1:${server.port}`, adminToken }, 'kept');
    const before = await list();
    expect(before.length).toBeGreaterThan(0);
    expect(await server.stop()).toBe(0);
    server = await startService(ENTRY, { DATA_DIR: dataDir, METRICS_PORT: String(metricsPort) }, 60_000, /is up/);
    expect(await list()).toEqual(before);
    expect(server.output.join('\n')).not.toContain(adminToken);
  }, 90_000);
});
