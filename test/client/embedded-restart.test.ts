import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../packages/client/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { freePort } from '../redis-server.js';
import { createOrganization } from '../organization.js';
import { NodeWebSocket, range, Recorder } from './recorder.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');

// The embedded process restarts on the same data folder and port: a subscriber that was following
// its events resumes after the restart and misses nothing, repeats nothing, and needs no resync
// (the replay after a restart comes from the outbox table, issue 11 section 2).
describe('@helpdesk/client through a restart of the embedded process', () => {
  let dataDir: string;
  let port: number;
  let server: ServiceProcess;
  const start = () => startService(ENTRY, { DATA_DIR: dataDir, PORT: String(port) }, 60_000, /is up/);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hd-client-restart-'));
    port = await freePort();
    server = await start();
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every event once and in order, without a resync', async () => {
    const base = `http://127.0.0.1:${port}`;
    const adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'restart');
    const client = createClient({ baseUrl: base, apiKey: tenant.key, WebSocket: NodeWebSocket });
    const live = new Recorder(client.subscribe(tenant.name));
    const send = async (message: string) =>
      (await client.sendMessage({ helpDesk: String(tenant.helpDesk.uuid), message })).uuid;
    try {
      await live.untilState('connected');
      const uuids = [await send('before 1'), await send('before 2')];
      await live.untilEvents(6);

      expect(await server.stop()).toBe(0);
      await live.until((r) => r.subscription.state.type !== 'connected', 'the socket closed by the restart');
      server = await start();
      // Back before anything new happened: the restarted process must know that id 6 is current
      // (no resync), then send what follows.
      await live.until((r) => r.connects() === 2, 'the subscriber back on the restarted process', 40_000);
      for (const text of ['after 1', 'after 2', 'after 3']) uuids.push(await send(text));

      await live.untilEvents(uuids.length * 3, 40_000);
      expect(live.events.map((e) => e.id)).toEqual(range(1, uuids.length * 3));
      expect(live.events.flatMap((e) => (e.type === 'new_message' ? [e.data.uuid] : []))).toEqual(uuids);
      expect(live.resyncs).toEqual([]);
    } finally {
      live.subscription.close();
    }
  }, 120_000);
});
