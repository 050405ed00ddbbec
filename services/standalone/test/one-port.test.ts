import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatSocketPath, CLOSE_CODES } from '@helpdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REPO_ROOT, startService, type ServiceProcess } from '../../../test/process-harness.js';
import { createOrganization, type TestOrganization } from '../../../test/organization.js';
import { bearer, socketTicket } from '../../../test/rest.js';
import { RecordingSocket } from '../../../test/ws-client.js';
import { rawExchange, rawRequest } from '../../api/test/raw-http.js';

// Issue 13, items 6 and 8, on the embedded quick start: the built `pnpm start` process, the api's
// Node HTTP server on the one port with the gateway behind it on loopback, spoken to over raw TCP
// where fetch would not send the request. Every request the port reads gets the answer the api
// gives on its own port (services/api/test/http-protocol.test.ts), in the contract's shape.

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');
/** Socket upgrades one address may start at once (WS_CONNECT_BURST_PER_IP); one more a second. */
const SOCKET_BURST = 3;

let dataDir: string;
let server: ServiceProcess;
let adminToken: string;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hd-one-port-'));
  server = await startService(
    ENTRY,
    { DATA_DIR: dataDir, WS_CONNECT_RATE_PER_IP: '1', WS_CONNECT_BURST_PER_IP: String(SOCKET_BURST) },
    60_000,
    /is up/,
  );
  adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
  base = `http://127.0.0.1:${server.port}`;
}, 90_000);

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const host = () => `Host: 127.0.0.1:${server.port}`;
const detailOf = (body: string) => JSON.parse(body) as unknown;
const OK = { status: 'ok' };

describe('every request the one port reads is answered, in the contract shape where refused (item 6)', () => {
  it('a head over MAX_HEADER_BYTES, in one read or over 128 KiB: 431 {"detail"}', async () => {
    const answers = await Promise.all(
      [20_000, 200_000].map((padding) =>
        rawExchange(server.port, [
          rawRequest('GET /api/organizations/ HTTP/1.1', [host(), `X-Padding: ${'a'.repeat(padding)}`]),
        ]),
      ),
    );
    const tooLarge = [431, 'application/json', { detail: 'Request header fields too large: at most 16384 bytes.' }];
    expect(
      answers.map(({ responses }) => responses.map((r) => [r.status, r.headers['content-type'], detailOf(r.body)])),
    ).toEqual([[tooLarge], [tooLarge]]);
  });

  it('methods no route serves (TRACE, PROPFIND, FOO): 405 {"detail"}, with the Allow of a known path', async () => {
    const answers = await Promise.all(
      ['TRACE /api/organizations/', 'PROPFIND /api/organizations/', 'FOO /'].map((target) =>
        rawExchange(server.port, [
          rawRequest(`${target} HTTP/1.1`, [host(), `Authorization: Bearer ${adminToken}`, 'Connection: close']),
        ]),
      ),
    );
    expect(answers.map(({ responses }) => responses.map((r) => [r.status, r.headers.allow, detailOf(r.body)]))).toEqual(
      [
        [[405, 'GET, POST, HEAD', { detail: 'Method "TRACE" not allowed.' }]],
        [[405, 'GET, POST, HEAD', { detail: 'Method "PROPFIND" not allowed.' }]],
        [[405, undefined, { detail: 'Method "FOO" not allowed.' }]],
      ],
    );
  });

  it('CONNECT, to a path or to an authority: 405 {"detail"}', async () => {
    const answers = await Promise.all(
      ['/api/organizations/', `127.0.0.1:${server.port}`].map((target) =>
        rawExchange(server.port, [rawRequest(`CONNECT ${target} HTTP/1.1`, [host()])]),
      ),
    );
    const refused = [[405, { detail: 'Method "CONNECT" not allowed.' }]];
    expect(answers.map(({ responses }) => responses.map((r) => [r.status, detailOf(r.body)]))).toEqual([
      refused,
      refused,
    ]);
  });

  it('pipelined requests, the first one still in flight: both answered, in order, and both ran', async () => {
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'pipelined');
    const body = JSON.stringify({ help_desk: tenant.helpDesk.uuid, message: 'pipelined' });
    const { responses } = await rawExchange(server.port, [
      rawRequest(
        'POST /api/send-message/ HTTP/1.1',
        [
          host(),
          `Authorization: Bearer ${tenant.key}`,
          'Content-Type: application/json',
          `Content-Length: ${Buffer.byteLength(body)}`,
        ],
        body,
      ) + rawRequest('GET /healthz HTTP/1.1', [host(), 'Connection: close']),
    ]);
    expect(responses.map((r) => [r.status, (JSON.parse(r.body) as { message?: string }).message])).toEqual([
      [201, 'pipelined'],
      [200, undefined],
    ]);
    expect(detailOf(responses[1]!.body)).toEqual(OK);
    const history = await fetch(`${base}/api/help-desks/${String(tenant.helpDesk.uuid)}/history/`, {
      headers: bearer(tenant.key),
    });
    expect(((await history.json()) as Array<{ message: string }>).map((m) => m.message)).toEqual(['pipelined']);
  });

  it('HTTP/1.0 with or without Host: served; HTTP/1.1 without Host: 400 {"detail"}', async () => {
    const answers = await Promise.all(
      [
        rawRequest('GET /healthz HTTP/1.0', []),
        rawRequest('GET /healthz HTTP/1.0', [host()]),
        rawRequest('GET /healthz HTTP/1.1', []),
      ].map((request) => rawExchange(server.port, [request])),
    );
    expect(answers.map(({ responses }) => responses.map((r) => [r.status, detailOf(r.body)]))).toEqual([
      [[200, OK]],
      [[200, OK]],
      [[400, { detail: 'Malformed request. An HTTP/1.1 request needs a Host header.' }]],
    ]);
  });

  it('a head over 4 KiB arriving in two reads, 49 header lines, an absolute URL as target: served', async () => {
    const longHead = rawRequest('GET /healthz HTTP/1.1', [
      host(),
      `X-Padding: ${'a'.repeat(5000)}`,
      'Connection: close',
    ]);
    const answers = await Promise.all([
      rawExchange(server.port, [longHead.slice(0, 100), longHead.slice(100)], { pauseMs: 100 }),
      rawExchange(server.port, [
        rawRequest('GET /healthz HTTP/1.1', [
          host(),
          ...Array.from({ length: 47 }, (_, i) => `X-Header-${i}: v`),
          'Connection: close',
        ]),
      ]),
      rawExchange(server.port, [
        rawRequest(`GET http://127.0.0.1:${server.port}/healthz HTTP/1.1`, [host(), 'Connection: close']),
      ]),
    ]);
    expect(answers.map(({ responses }) => responses.map((r) => [r.status, detailOf(r.body)]))).toEqual([
      [[200, OK]],
      [[200, OK]],
      [[200, OK]],
    ]);
  });
});

/** The status of a socket upgrade the server must refuse, started from `localAddress`. */
function refusedUpgradeStatus(path: string, headers: Record<string, string>, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers, localAddress });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`the upgrade to ${path} was not refused`));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) => {
      response.resume();
      response.once('end', () => {
        ws.terminate();
        resolve(response.statusCode ?? 0);
      });
    });
  });
}

describe('chat sockets through the one port', () => {
  it("a socket gets its organization's events", async () => {
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'socket');
    const socket = await RecordingSocket.open(
      `ws://127.0.0.1:${server.port}${chatSocketPath(tenant.name)}?token=${await socketTicket(base, tenant.name, tenant.key)}`,
    );
    try {
      const sent = await fetch(`${base}/api/send-message/`, {
        method: 'POST',
        headers: { ...bearer(tenant.key), 'content-type': 'application/json' },
        body: JSON.stringify({ help_desk: tenant.helpDesk.uuid, message: 'through the one port' }),
      });
      const message = (await sent.json()) as { uuid: string };
      const frames = (await socket.waitForFrames(3)).map(
        (frame) => JSON.parse(frame) as { type: string; data: string },
      );
      expect(frames.map((frame) => [frame.type, (JSON.parse(frame.data) as { uuid: string }).uuid])).toEqual([
        ['new_message', message.uuid],
        ['update_helpdesk', tenant.helpDesk.uuid],
        ['update_message', message.uuid],
      ]);
    } finally {
      socket.close();
    }
  });

  it('an upgrade to another protocol (curl --http2: Upgrade: h2c) is served as plain HTTP', async () => {
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'h2c');
    const { responses } = await rawExchange(server.port, [
      rawRequest('GET /api/whoami/ HTTP/1.1', [
        host(),
        `Authorization: Bearer ${tenant.key}`,
        'Connection: Upgrade, HTTP2-Settings, close',
        'Upgrade: h2c',
        'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
      ]),
    ]);
    expect(responses.map((r) => [r.status, r.headers['content-type'], detailOf(r.body)])).toEqual([
      [200, 'application/json; charset=utf-8', { kind: 'organization', organization: tenant.name }],
    ]);
  });

  it('a forged X-Forwarded-For does not change the address whose upgrades are counted', async () => {
    // From addresses of their own (loopback is 127/8), so no other test spends their budget. No
    // ticket: refused with 401, after the connection-rate limit has counted the attempt.
    const path = chatSocketPath('forged');
    const forged = await Promise.all(
      Array.from({ length: SOCKET_BURST + 3 }, (_, i) =>
        refusedUpgradeStatus(path, { 'x-forwarded-for': `198.51.100.${i}` }, '127.0.0.2'),
      ),
    );
    expect(forged.sort()).toEqual([...Array<number>(SOCKET_BURST).fill(401), 429, 429, 429]);
    // Another client's budget is its own: the one port passes on the address it saw.
    expect(await refusedUpgradeStatus(path, {}, '127.0.0.3')).toBe(401);
  });
});

describe('files and uploads on the quick start, and its stop (item 8)', () => {
  // A process of its own: this test stops it.
  let own: { dataDir: string; spoolRoot: string; server: ServiceProcess; base: string; tenant: TestOrganization };
  beforeAll(async () => {
    const ownDataDir = await mkdtemp(join(tmpdir(), 'hd-one-port-files-'));
    const ownSpoolRoot = join(ownDataDir, 'spool');
    const ownServer = await startService(
      ENTRY,
      { DATA_DIR: ownDataDir, UPLOAD_SPOOL_DIR: ownSpoolRoot },
      60_000,
      /is up/,
    );
    const ownAdmin = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(ownDataDir, '.env'), 'utf8'))?.[1] ?? '';
    const ownBase = `http://127.0.0.1:${ownServer.port}`;
    own = {
      dataDir: ownDataDir,
      spoolRoot: ownSpoolRoot,
      server: ownServer,
      base: ownBase,
      tenant: await createOrganization({ baseUrl: ownBase, adminToken: ownAdmin }, 'files'),
    };
  }, 90_000);
  afterAll(async () => {
    await own?.server.stop();
    if (own) await rm(own.dataDir, { recursive: true, force: true });
  });

  it('stores a file 0600 in 0700 folders linked on the one port, spools in a folder of the process that it removes at stop, where sockets get 1012', async () => {
    const form = new FormData();
    form.set('help_desk', String(own.tenant.helpDesk.uuid));
    form.set('file', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
    const sent = await fetch(`${own.base}/api/send-message/`, {
      method: 'POST',
      headers: bearer(own.tenant.key),
      body: form,
    });
    expect(sent.status).toBe(201);
    expect(((await sent.json()) as { file: string }).file).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${own.server.port}/api/files/[0-9a-f]{32}/hello\\.txt$`),
    );
    const filesDir = join(own.dataDir, 'files');
    const [fanout] = await readdir(filesDir);
    const [file] = await readdir(join(filesDir, fanout!));
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    expect([
      await mode(filesDir),
      await mode(join(filesDir, fanout!)),
      await mode(join(filesDir, fanout!, file!)),
    ]).toEqual([0o700, 0o700, 0o600]);
    const spools = await readdir(own.spoolRoot);
    expect(spools).toEqual([
      expect.stringMatching(new RegExp(`^helpdesk-spool-${own.server.child.pid}-[0-9a-f]{8}-[A-Za-z0-9]{6}$`)),
    ]);
    expect(await mode(join(own.spoolRoot, spools[0]!))).toBe(0o700);

    const socket = await RecordingSocket.open(
      `ws://127.0.0.1:${own.server.port}${chatSocketPath(own.tenant.name)}?token=${await socketTicket(own.base, own.tenant.name, own.tenant.key)}`,
    );
    const closed = once(socket.ws, 'close');
    expect(await own.server.stop()).toBe(0);
    expect((await closed)[0]).toBe(CLOSE_CODES.serviceRestart);
    expect(await readdir(own.spoolRoot)).toEqual([]);
  });
});
