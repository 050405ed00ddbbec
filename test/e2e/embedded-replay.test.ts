import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_EVENT_ID_PARAM, chatSocketPath } from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { post, socketTicket } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { RecordingSocket } from '../ws-client.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');

// Issue 11, section 2: the embedded mode replays from its outbox table, so a socket that resumes
// with last_event_id gets exactly what it missed, also after the whole process restarted.
describe('embedded: resume with last_event_id across a restart (replay from the outbox)', () => {
  let dataDir: string;
  let server: ServiceProcess;
  let adminToken: string;
  let tenant: TestOrganization;

  const http = () => `http://127.0.0.1:${server.port}`;
  const send = (message: string) =>
    post(http(), '/api/send-message/', { help_desk: tenant.helpDesk.uuid, message }, tenant.key);
  const frameIds = (frames: string[]) => frames.map((f) => (JSON.parse(f) as { id: number; type: string }).id);
  const types = (frames: string[]) => frames.map((f) => (JSON.parse(f) as { type: string }).type);
  async function resume(lastEventId?: number): Promise<RecordingSocket> {
    const ticket = await socketTicket(http(), tenant.name, tenant.key);
    const from = lastEventId === undefined ? '' : `&${LAST_EVENT_ID_PARAM}=${lastEventId}`;
    return RecordingSocket.open(`ws://127.0.0.1:${server.port}${chatSocketPath(tenant.name)}?token=${ticket}${from}`);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hd-embedded-replay-'));
    server = await startService(ENTRY, { DATA_DIR: dataDir }, 60_000, /is up/);
    adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
    tenant = await createOrganization({ baseUrl: http(), adminToken }, 'replay');
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('replays exactly the missed events before and after a restart, without resync', async () => {
    const live = await resume();
    await send('one');
    expect(frameIds(await live.waitForFrames(3))).toEqual([1, 2, 3]);
    live.close();

    await send('missed before the restart');
    const before = await resume(3);
    const replayed = await before.waitForFrames(3);
    expect(frameIds(replayed)).toEqual([4, 5, 6]);
    expect(types(replayed)).toEqual(['new_message', 'update_helpdesk', 'update_message']);
    before.close();

    expect(await server.stop()).toBe(0);
    server = await startService(ENTRY, { DATA_DIR: dataDir }, 60_000, /is up/);
    await send('missed across the restart');

    // The process that kept these events in memory is gone: they come from the outbox table.
    const after = await resume(6);
    expect(frameIds(await after.waitForFrames(3))).toEqual([7, 8, 9]);
    await send('live after the resume');
    const all = await after.waitForFrames(6);
    expect(frameIds(all)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(types(all)).not.toContain('resync');
    after.close();

    const fromStart = await resume(2);
    expect(frameIds(await fromStart.waitForFrames(10))).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    fromStart.close();
  }, 120_000);
});
