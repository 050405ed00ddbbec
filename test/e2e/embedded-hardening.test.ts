import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { bearer, createTenant, socketTicket, type Tenant } from '../rest.js';
import { RecordingSocket } from '../ws-client.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');
const AUTH_FAILURES = 5;

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
      { DATA_DIR: dataDir, RATE_LIMIT_AUTH_FAILURES: String(AUTH_FAILURES) },
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
    let tenant: Tenant;
    let socket: RecordingSocket;

    beforeAll(async () => {
      tenant = await createTenant(base, 'links', adminToken);
      socket = await RecordingSocket.open(
        `ws://127.0.0.1:${server.port}/ws/chat/${tenant.name}/?token=${await socketTicket(base, tenant.name, tenant.key)}`,
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

  describe('the client address is what the proxy saw, not what the client wrote (item 3)', () => {
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
      const tenant = await createTenant(base, 'throttled', adminToken);
      const ok = await fetch(`${base}/api/help-desks/?organization=${tenant.name}`, { headers: bearer(tenant.key) });
      expect(ok.status).toBe(200);
    });
  });
});
