import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startService, type ServiceProcess } from '../../../test/process-harness.js';
import { createOrganization, type TestOrganization } from '../../../test/organization.js';
import { bearer } from '../../../test/rest.js';
import { rawExchange, rawRequest, type RawExchange } from '../../api/test/raw-http.js';

// Issue 13, items 6 and 8, on the embedded quick start: the built `pnpm start` process, uWS on
// the one port in front of the api, spoken to over raw TCP where fetch would not send the request.

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');

let dataDir: string;
let server: ServiceProcess;
let adminToken: string;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hd-one-port-'));
  server = await startService(ENTRY, { DATA_DIR: dataDir }, 60_000, /is up/);
  adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
  base = `http://127.0.0.1:${server.port}`;
}, 90_000);

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const host = () => `Host: 127.0.0.1:${server.port}`;
const detailOf = (body: string) => JSON.parse(body) as unknown;

describe('what the api refuses comes back through the proxy in the contract shape (item 6)', () => {
  it('a head over the api\'s MAX_HEADER_BYTES: 431 {"detail"}', async () => {
    const { responses } = await rawExchange(server.port, [
      rawRequest('GET /api/organizations/ HTTP/1.1', [host(), `X-Padding: ${'a'.repeat(20_000)}`, 'Connection: close']),
    ]);
    expect(responses.map((r) => [r.status, r.headers['content-type'], detailOf(r.body)])).toEqual([
      [431, 'application/json', { detail: 'Request header fields too large: at most 16384 bytes.' }],
    ]);
  });

  it('TRACE, which uWS passes on: 405 {"detail"} with the Allow of the path', async () => {
    const { responses } = await rawExchange(server.port, [
      rawRequest('TRACE /api/organizations/ HTTP/1.1', [
        host(),
        `Authorization: Bearer ${adminToken}`,
        'Connection: close',
      ]),
    ]);
    expect(responses.map((r) => [r.status, r.headers.allow, detailOf(r.body)])).toEqual([
      [405, 'GET, POST, HEAD', { detail: 'Method "TRACE" not allowed.' }],
    ]);
  });

  it('CONNECT: 405 {"detail"} from the proxy itself', async () => {
    const { responses } = await rawExchange(server.port, [
      rawRequest('CONNECT /api/organizations/ HTTP/1.1', [host(), 'Connection: close']),
    ]);
    expect(responses.map((r) => [r.status, detailOf(r.body)])).toEqual([
      [405, { detail: 'Method "CONNECT" not allowed.' }],
    ]);
  });
});

describe("what uWS 20.30's parser refuses natively: closed unanswered, and nothing of it runs (item 6, README)", () => {
  it('pipelined requests, the first one still in flight: the connection closes, neither runs', async () => {
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'pipelined');
    const body = JSON.stringify({ help_desk: tenant.helpDesk.uuid, message: 'pipelined' });
    const exchange = await rawExchange(server.port, [
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
    expect(exchange.raw).toBe('');
    const history = await fetch(`${base}/api/help-desks/${String(tenant.helpDesk.uuid)}/history/`, {
      headers: bearer(tenant.key),
    });
    expect(await history.json()).toEqual([]);
  });

  it('methods beyond the nine uWS routes, a head over 4 KiB in pieces or over 128 KiB: closed at once', async () => {
    const longHead = rawRequest('GET /healthz HTTP/1.1', [
      host(),
      `X-Padding: ${'a'.repeat(5000)}`,
      'Connection: close',
    ]);
    const refused: Record<string, Promise<RawExchange>> = {
      FOO: rawExchange(server.port, [rawRequest('FOO / HTTP/1.1', [host()])]),
      PROPFIND: rawExchange(server.port, [rawRequest('PROPFIND /api/organizations/ HTTP/1.1', [host()])]),
      'a head over 4 KiB in two reads': rawExchange(server.port, [longHead.slice(0, 100), longHead.slice(100)], {
        pauseMs: 100,
      }),
    };
    for (const [what, exchange] of Object.entries(refused)) expect([what, (await exchange).raw]).toEqual([what, '']);
    const huge = await rawExchange(server.port, [
      rawRequest('GET /healthz HTTP/1.1', [host(), `X-Padding: ${'a'.repeat(200_000)}`]),
    ]);
    // Unanswered. Whether the close reaches the client as a reset depends on how much of the head
    // was still unread when uWS closed, which load changes: only the missing answer is pinned.
    expect(huge.raw).toBe('');
    // The same long head read at once is served.
    const atOnce = await rawExchange(server.port, [longHead]);
    expect(atOnce.responses.map((r) => r.status)).toEqual([200]);
  });

  it('HTTP/1.0, HTTP/1.1 without Host, more than 48 header lines, a target not starting with /: unanswered until the idle timeout', async () => {
    // uWS waits for a request it can read, then closes the connection after its idle timeout (10 s).
    const idle = { timeoutMs: 20_000 };
    const refused: Record<string, Promise<RawExchange>> = {
      'HTTP/1.0 without Host': rawExchange(server.port, [rawRequest('GET /healthz HTTP/1.0', [])], idle),
      'HTTP/1.0 with Host': rawExchange(server.port, [rawRequest('GET /healthz HTTP/1.0', [host()])], idle),
      'HTTP/1.1 without Host': rawExchange(server.port, [rawRequest('GET /healthz HTTP/1.1', [])], idle),
      '49 header lines': rawExchange(
        server.port,
        [rawRequest('GET /healthz HTTP/1.1', [host(), ...Array.from({ length: 48 }, (_, i) => `X-Header-${i}: v`)])],
        idle,
      ),
      'CONNECT to an authority': rawExchange(
        server.port,
        [rawRequest(`CONNECT 127.0.0.1:${server.port} HTTP/1.1`, [host()])],
        idle,
      ),
      'an absolute URL': rawExchange(
        server.port,
        [rawRequest(`GET http://127.0.0.1:${server.port}/healthz HTTP/1.1`, [host()])],
        idle,
      ),
    };
    for (const [what, exchange] of Object.entries(refused)) expect([what, (await exchange).raw]).toEqual([what, '']);
  });
});

describe('files and uploads on the quick start (item 8)', () => {
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

  it('stores a file 0600 in 0700 folders, and spools in a folder of the process that it removes at stop', async () => {
    const form = new FormData();
    form.set('help_desk', String(own.tenant.helpDesk.uuid));
    form.set('file', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
    const sent = await fetch(`${own.base}/api/send-message/`, {
      method: 'POST',
      headers: bearer(own.tenant.key),
      body: form,
    });
    expect(sent.status).toBe(201);
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

    expect(await own.server.stop()).toBe(0);
    expect(await readdir(own.spoolRoot)).toEqual([]);
  });
});
