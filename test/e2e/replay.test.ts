import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSocketPath, LAST_EVENT_ID_PARAM } from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { post, socketTicket } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { createTestDatabase, redisPrefix, testEnv } from '../test-env.js';
import { E2E_ADMIN_TOKEN, E2E_SECRET_KEY } from './contract-scenario.js';
import { ReliableSocket } from './reliable-socket.js';

// Issue 4, item 2, end to end with the api's outbox: a socket that reconnects with the last id
// it saw gets exactly what it missed, in order, then live events; once the history kept by the
// api (HISTORY_MAX_AGE_SECONDS) no longer reaches back, it gets a resync first.

const HISTORY_SECONDS = 2;

describe('reconnect with last_event_id: api and gateway processes', () => {
  let api: ServiceProcess;
  let gateway: ServiceProcess;
  let filesDir: string;
  let tenant: TestOrganization;
  const sockets: ReliableSocket[] = [];
  const http = () => `http://127.0.0.1:${api.port}`;

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'hd-replay-files-'));
    const shared = {
      REDIS_URL: testEnv().redisUrl,
      REDIS_PREFIX: redisPrefix(),
      SECRET_KEY: E2E_SECRET_KEY,
      // Other test files run gateways at the same time: no fixed metrics port.
      METRICS_PORT: '0',
    };
    [api, gateway] = await Promise.all([
      startService(join(REPO_ROOT, 'services/api/dist/main.js'), {
        ...shared,
        DATABASE_URL: await createTestDatabase(),
        ADMIN_TOKEN: E2E_ADMIN_TOKEN,
        FILES_DIR: filesDir,
        HISTORY_MAX_AGE_SECONDS: String(HISTORY_SECONDS),
      }),
      startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), shared),
    ]);
    tenant = await createOrganization({ baseUrl: http(), adminToken: E2E_ADMIN_TOKEN }, 'replay');
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([api?.stop(), gateway?.stop()]);
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  /** A socket that connects with `last_event_id` (or none), and does not reconnect by itself. */
  async function open(lastEventId: number | undefined): Promise<ReliableSocket> {
    const socket = await ReliableSocket.open(async () => {
      const ticket = await socketTicket(http(), tenant.name, tenant.key);
      const last = lastEventId === undefined ? '' : `&${LAST_EVENT_ID_PARAM}=${lastEventId}`;
      return `ws://127.0.0.1:${gateway.port}${chatSocketPath(tenant.name)}?token=${ticket}${last}`;
    }, false);
    sockets.push(socket);
    return socket;
  }

  const send = (message: string) =>
    post(http(), '/api/send-message/', { message, help_desk: tenant.helpDesk.uuid }, tenant.key);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('replays exactly the missed events, then live ones; a resync once the history is gone', async () => {
    const first = await open(undefined);
    await send('one');
    await send('two');
    expect((await first.waitForFrames(6)).map((f) => f.id)).toEqual(range(1, 6));
    first.close();

    for (const text of ['three', 'four', 'five']) await send(text);
    const back = await open(6);
    expect((await back.waitForFrames(9)).map((f) => f.id)).toEqual(range(7, 15));
    await send('six');
    const frames = await back.waitForFrames(12);
    expect(frames.map((f) => f.id)).toEqual(range(7, 18));
    expect(frames.at(-1)!.data).toContain('six');
    expect({ duplicates: back.duplicates, resyncs: back.resyncs }).toEqual({ duplicates: 0, resyncs: 0 });

    // Nothing published for longer than the history is kept: it is gone.
    await new Promise((resolve) => setTimeout(resolve, (HISTORY_SECONDS + 1) * 1000));
    const late = await open(3);
    await expect.poll(() => late.resyncs).toBe(1);
    // The resync came first: nothing from the history before it.
    expect(late.frames).toEqual([]);
    await send('seven');
    expect((await late.waitForFrames(3)).map((f) => f.id)).toEqual(range(19, 21));
  }, 30_000);
});
