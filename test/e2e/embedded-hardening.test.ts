import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSocketPath } from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { bearer, socketTicket } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { RecordingSocket } from '../ws-client.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');
const AUTH_FAILURES = 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const APP_ORIGIN = 'https://agents.example';

// Issue 13: what an outside probe of the embedded quick start got through, each tried again
// over real HTTP on the one port of a running `pnpm start` process.

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host). */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A multipart body with text fields and one file part. */
function multipart(fields: Record<string, string>, file: { name: string; bytes: string }) {
  const boundary = `----hd${Date.now()}`;
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  parts.push(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\n` +
      `content-type: text/plain\r\n\r\n${file.bytes}\r\n`,
  );
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`),
  };
}

const FORGED_ORIGIN = {
  host: 'attacker.example',
  'x-forwarded-host': 'attacker.example',
  'x-forwarded-proto': 'https',
  forwarded: 'host=attacker.example;proto=https',
};

describe('embedded: hardened against a client with a key', () => {
  let dataDir: string;
  let server: ServiceProcess;
  let adminToken: string;
  let base: string;
  let origin: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hd-hardening-'));
    server = await startService(
      ENTRY,
      { DATA_DIR: dataDir, RATE_LIMIT_AUTH_FAILURES: String(AUTH_FAILURES), CORS_ORIGINS: APP_ORIGIN },
      60_000,
      /is up/,
    );
    adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
    base = `http://127.0.0.1:${server.port}`;
    // HOST=127.0.0.1 (the harness): the origin of the address it listens on.
    origin = `http://127.0.0.1:${server.port}`;
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('file links take their origin from the configuration, never from a request (item 1)', () => {
    let tenant: TestOrganization;
    let socket: RecordingSocket;

    beforeAll(async () => {
      tenant = await createOrganization({ baseUrl: base, adminToken }, 'links');
      socket = await RecordingSocket.open(
        `ws://127.0.0.1:${server.port}${chatSocketPath(tenant.name)}?token=${await socketTicket(base, tenant.name, tenant.key)}`,
      );
    });
    afterAll(() => socket?.close());

    const FILE_URL = () => new RegExp(`^${origin}/api/files/[0-9a-f]{32}/note\\.txt$`);

    it('send-message, a status callback and receive-message with forged Host and X-Forwarded-*', async () => {
      const form = multipart(
        { help_desk: String(tenant.helpDesk.uuid), message: 'see file' },
        { name: 'note.txt', bytes: 'x' },
      );
      const sent = await send(
        server.port,
        'POST',
        '/api/send-message/',
        { ...FORGED_ORIGIN, ...bearer(tenant.key), ...form.headers },
        form.body,
      );
      expect(sent.status).toBe(201);
      const message = JSON.parse(sent.body) as { uuid: string; file: string };
      expect(message.file).toMatch(FILE_URL());

      const patched = await send(
        server.port,
        'PATCH',
        `/api/messages/${message.uuid}/`,
        { ...FORGED_ORIGIN, ...bearer(tenant.key), 'content-type': 'application/json' },
        JSON.stringify({ status: 'delivered' }),
      );
      expect(patched.status).toBe(200);
      expect((JSON.parse(patched.body) as { file: string }).file).toBe(message.file);

      const inbound = multipart(
        { 'client.name': 'Ana', 'client.phone': '5511900000001', message: 'oi' },
        { name: 'note.txt', bytes: 'y' },
      );
      const received = await send(
        server.port,
        'POST',
        '/api/receive-message/',
        { ...FORGED_ORIGIN, ...bearer(tenant.key), ...inbound.headers },
        inbound.body,
      );
      expect(received.status).toBe(201);
      expect((JSON.parse(received.body) as { file: string }).file).toMatch(FILE_URL());

      // new_message, update_helpdesk, update_message; update_message; new_message, update_helpdesk
      const frames = await socket.waitForFrames(6);
      expect(frames.filter((frame) => frame.includes('/api/files/'))).toHaveLength(6);
      for (const frame of frames) {
        expect(frame).not.toContain('attacker');
        expect(frame).toContain(`${origin}/api/files/`);
      }
      const history = await send(server.port, 'GET', `/api/help-desks/${String(tenant.helpDesk.uuid)}/history/`, {
        ...FORGED_ORIGIN,
        ...bearer(tenant.key),
      });
      expect(history.body).not.toContain('attacker');
    });
  });

  describe('the client address is what the one port saw, not what the client wrote (item 3)', () => {
    it('bad keys with a different X-Forwarded-For each are still throttled, and logged from 127.0.0.1', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < AUTH_FAILURES + 2; i += 1) {
        const res = await send(server.port, 'GET', '/api/help-desks/?organization=x', {
          authorization: 'Bearer hdk_not-a-key',
          'x-forwarded-for': `10.0.0.${i}`,
          'x-real-ip': `10.0.0.${i}`,
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([...Array<number>(AUTH_FAILURES).fill(401), 429, 429]);
      const logged = server.output.filter((line) => line.includes('/api/help-desks/?organization=x'));
      expect(logged.length).toBeGreaterThan(0);
      expect(logged.filter((line) => line.includes('10.0.0.'))).toEqual([]);
      expect(logged.some((line) => line.includes('"remoteAddress":"127.0.0.1"'))).toBe(true);
      // A valid key from the same address still passes.
      const tenant = await createOrganization({ baseUrl: base, adminToken }, 'throttled');
      const ok = await fetch(`${base}/api/help-desks/?organization=${tenant.name}`, { headers: bearer(tenant.key) });
      expect(ok.status).toBe(200);
    });
  });

  describe('deeply nested bodies with an Idempotency-Key (item 2)', () => {
    let tenant: TestOrganization;
    beforeAll(async () => {
      tenant = await createOrganization({ baseUrl: base, adminToken }, 'deep');
    });
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const tooDeep = { detail: 'JSON parse error - Nested deeper than 32 levels.' };

    it('are refused with 400 on send-message, receive-message and a multipart JSON part, never a 500', async () => {
      const headers = { ...bearer(tenant.key), 'content-type': 'application/json', 'idempotency-key': 'deep-1' };
      const send1 = await send(
        server.port,
        'POST',
        '/api/send-message/',
        headers,
        `{"help_desk": "${String(tenant.helpDesk.uuid)}", "message": "hi", "extra": ${deep(5000)}}`,
      );
      expect([send1.status, JSON.parse(send1.body)]).toEqual([400, tooDeep]);
      const receive = await send(
        server.port,
        'POST',
        '/api/receive-message/',
        headers,
        `{"client": {"name": "Ana", "phone": "5511900000009"}, "message": "oi", "extra": ${deep(5000)}}`,
      );
      expect([receive.status, JSON.parse(receive.body)]).toEqual([400, tooDeep]);

      const boundary = '----deep';
      const body =
        `--${boundary}\r\ncontent-disposition: form-data; name="message"\r\n\r\noi\r\n` +
        `--${boundary}\r\ncontent-disposition: form-data; name="client"\r\ncontent-type: application/json\r\n\r\n` +
        `{"name": "Ana", "phone": "5511900000009", "extra": ${deep(5000)}}\r\n--${boundary}--\r\n`;
      const part = await send(
        server.port,
        'POST',
        '/api/receive-message/',
        { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      );
      expect([part.status, JSON.parse(part.body)]).toEqual([
        400,
        { detail: 'Multipart form parse error - Nested deeper than 32 levels.' },
      ]);
    });

    it('an unknown field is not part of what the key remembers: its retry is the same request', async () => {
      const post1 = (extra: string) =>
        send(
          server.port,
          'POST',
          '/api/send-message/',
          { ...bearer(tenant.key), 'content-type': 'application/json', 'idempotency-key': 'deep-2' },
          `{"help_desk": "${String(tenant.helpDesk.uuid)}", "message": "hi", "extra": ${extra}}`,
        );
      const first = await post1(deep(20));
      expect(first.status).toBe(201);
      const retry = await post1('"something else"');
      expect([retry.status, retry.headers['idempotent-replayed'], retry.body]).toEqual([201, 'true', first.body]);
    });
  });

  it('a browser app on an allowed origin may PATCH and DELETE, and read Retry-After and Idempotent-Replayed (item 4)', async () => {
    for (const method of ['PATCH', 'DELETE', 'PUT', 'POST']) {
      const preflight = await send(server.port, 'OPTIONS', '/api/messages/00000000-0000-4000-8000-000000000000/', {
        origin: APP_ORIGIN,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(String(preflight.headers['access-control-allow-methods']).split(/, */)).toContain(method);
    }
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'cors');
    const answer = await send(
      server.port,
      'POST',
      '/api/send-message/',
      { ...bearer(tenant.key), origin: APP_ORIGIN, 'content-type': 'application/json', 'idempotency-key': 'cors-1' },
      JSON.stringify({ help_desk: tenant.helpDesk.uuid, message: 'from the browser' }),
    );
    expect(answer.status).toBe(201);
    expect(String(answer.headers['access-control-expose-headers']).toLowerCase().split(/, */)).toEqual(
      expect.arrayContaining(['retry-after', 'idempotent-replayed']),
    );
    const elsewhere = await send(server.port, 'OPTIONS', '/api/send-message/', {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
    });
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an X-Request-Id that is not sane is replaced in the logs; a sane one is kept (item 5)', async () => {
    const forged = 'forged id", "level": 60, "msg": "owned';
    const path = (label: string) => `/api/help-desks/?organization=request-id-${label}`;
    await send(server.port, 'GET', path('forged'), { ...bearer(adminToken), 'x-request-id': forged });
    await send(server.port, 'GET', path('sane'), { ...bearer(adminToken), 'x-request-id': 'trace-7f3e.9b2c_1' });
    const lines = (label: string) => server.output.filter((line) => line.includes(path(label)));
    await expect.poll(() => lines('sane').length).toBeGreaterThan(0);
    const forgedLines = lines('forged');
    expect(forgedLines.length).toBeGreaterThan(0);
    for (const line of forgedLines) {
      expect(line).not.toContain('forged id');
      expect((JSON.parse(line) as { reqId: string }).reqId).toMatch(/^[0-9a-f-]{36}$/);
    }
    for (const line of lines('sane')) expect((JSON.parse(line) as { reqId: string }).reqId).toBe('trace-7f3e.9b2c_1');
  });

  it('stores file names without direction overrides or other format characters (item 7)', async () => {
    const tenant = await createOrganization({ baseUrl: base, adminToken }, 'bidi');
    const form = multipart(
      { help_desk: String(tenant.helpDesk.uuid), message: 'cv' },
      { name: 'resume\u202Efdp.exe', bytes: 'MZ' },
    );
    const answer = await send(
      server.port,
      'POST',
      '/api/send-message/',
      { ...bearer(tenant.key), ...form.headers },
      form.body,
    );
    expect(answer.status).toBe(201);
    const { file } = JSON.parse(answer.body) as { file: string };
    expect(decodeURIComponent(file.split('/').pop() ?? '')).toBe('resumefdp.exe');
    const download = await fetch(file, { headers: bearer(tenant.key) });
    expect(download.headers.get('content-disposition')).not.toMatch(/\u202E|%E2%80%AE/i);
  });

  it('says in its start log where the public port is, and what the inner one is (item 12)', () => {
    const lines = server.output.join('\n');
    expect(lines).not.toContain('Server listening at');
    expect(lines).toMatch(
      new RegExp(
        `one port at http://127\\.0\\.0\\.1:${server.port} \\(chat sockets go on to the internal gateway at 127\\.0\\.0\\.1:\\d+\\)`,
      ),
    );
    expect(lines).toContain(`helpdesk-chat is up on http://localhost:${server.port}`);
  });

  it('shows the socket path on the docs page with its <organization> placeholder (item 13)', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/api/schema/docs`);
      const description = page.locator('.information-container .description');
      await description.waitFor();
      expect(await description.innerText()).toContain('/ws/chat/<organization>/');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
