import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InProcessBus,
  organizationChannel,
  type EventPublisher,
  CHAT_SOCKET_PATH_PREFIX,
  chatSocketPath,
} from '@helpdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  refusedUpgrade,
  sampleEnvelope,
  startTestGateway,
  TestClient,
  ticketFor,
  type TestGateway,
} from './helpers.js';

// Embedded mode: api and gateway in one process on one port, events through the in-process bus,
// and every plain HTTP request proxied to the api (here a tiny node:http server standing in).

const MB = 1024 * 1024;

/** Deterministic bytes, pulled lazily so the test sees how far a reader got. */
function generated(total: number): { stream: Readable; pulled: () => number } {
  let produced = 0;
  const block = Buffer.alloc(64 * 1024);
  const stream = new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(block.length, total - produced);
      for (let i = 0; i < size; i += 4096) block.writeUInt32BE((produced + i) >>> 0, i);
      produced += size;
      this.push(Buffer.from(block.subarray(0, size)));
    },
  });
  return { stream, pulled: () => produced };
}

async function digestOf(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    hash.update(buffer);
  }
  return { bytes, sha256: hash.digest('hex') };
}

function expectedDigest(total: number): Promise<{ bytes: number; sha256: string }> {
  return digestOf(generated(total).stream);
}

let upstream: Server;
let upstreamPort: number;
let lastDownloadPulled: () => number = () => 0;

async function upstreamHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://upstream');
  if (url.pathname === '/upload') {
    const waitMs = Number(url.searchParams.get('wait') ?? 0);
    if (waitMs > 0) {
      req.pause();
      await sleep(waitMs);
    }
    const digest = await digestOf(req);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...digest,
        method: req.method,
        query: url.search,
        host: req.headers.host,
        forwarded: [req.headers['x-forwarded-for'], req.headers['x-forwarded-host'], req.headers['x-forwarded-proto']],
        passedOn: [req.headers.forwarded, req.headers['x-real-ip'], req.headers['x-forwarded-port']],
      }),
    );
    return;
  }
  if (url.pathname === '/download') {
    const size = Number(url.searchParams.get('size'));
    const chunked = url.searchParams.has('chunked');
    const body = generated(size);
    lastDownloadPulled = body.pulled;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(chunked ? {} : { 'content-length': String(size) }),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(body.stream, res);
    return;
  }
  if (url.pathname === '/cookies') {
    res.setHeader('Set-Cookie', ['session=abc; Path=/; HttpOnly', 'csrftoken=xyz; Path=/']);
    res.setHeader('X-Custom', 'kept');
    res.setHeader('Content-Type', 'application/json');
    res.writeHead(202, 'Accepted For Now');
    res.end('{"ok":true}');
    return;
  }
  if (url.pathname === '/too-large') {
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"detail":"Request was too large."}');
    return;
  }
  if (url.pathname === '/empty') {
    res.writeHead(204);
    res.end();
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ detail: 'Not found.', path: url.pathname, method: req.method }));
}

let bus: InProcessBus;
let publisher: EventPublisher;
let embedded: TestGateway;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    upstreamHandler(req, res).catch((error: unknown) =>
      res.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
  bus = new InProcessBus();
  publisher = bus.publisher();
  embedded = await startTestGateway(bus, {}, { proxyHttpTo: { host: '127.0.0.1', port: upstreamPort } });
});

afterAll(async () => {
  await embedded.gateway.close();
  await bus.close();
  await new Promise<void>((resolve, reject) => upstream.close((error) => (error ? reject(error) : resolve())));
});

interface Answer {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(url: string, options: http.RequestOptions = {}, body?: Readable | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

describe('events through the in-process bus', () => {
  it("delivers an organization's events to its sockets byte for byte, and to no one else", async () => {
    const a1 = await TestClient.connect(embedded.chat('acme'));
    const a2 = await TestClient.connect(embedded.chat('acme', { trailingSlash: false }));
    const b = await TestClient.connect(embedded.chat('globex'));
    const envelope = sampleEnvelope('evento em processo ✓');
    await publisher.publish(organizationChannel(embedded.config.redisPrefix, 'acme'), envelope);
    for (const client of [a1, a2]) {
      const frames = await client.waitForFrames(1);
      expect(frames).toEqual([{ data: Buffer.from(envelope), isBinary: false }]);
    }
    const forB = sampleEnvelope('globex');
    await publisher.publish(organizationChannel(embedded.config.redisPrefix, 'globex'), forB);
    expect((await b.waitForFrames(1)).map((frame) => frame.data.toString())).toEqual([forB]);
    await Promise.all([a1.close(), a2.close(), b.close()]);
  });

  it('still refuses invalid organization names with 404 instead of proxying the upgrade', async () => {
    expect(await refusedUpgrade(embedded.ws(`${CHAT_SOCKET_PATH_PREFIX}no.dots/`))).toMatchObject({
      status: 404,
      contentType: 'application/json',
      body: '{"detail":"Not found."}',
    });
  });

  it('checks the ticket itself instead of proxying the upgrade', async () => {
    expect(await refusedUpgrade(embedded.ws(`${chatSocketPath('acme')}`))).toMatchObject({
      status: 401,
      body: '{"detail":"Authentication credentials were not provided."}',
    });
    expect(await refusedUpgrade(embedded.chat('acme', { token: ticketFor('globex') }))).toMatchObject({
      status: 403,
      body: '{"detail":"This ticket is for another organization."}',
    });
  });
});

describe('HTTP proxy to the api', () => {
  it('streams a large upload to the api and its answer back, with forwarding headers', async () => {
    const total = 40 * MB;
    const answer = await request(
      embedded.http('/upload?organization=acme&x=1'),
      { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) } },
      generated(total).stream,
    );
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body.toString())).toEqual({
      ...(await expectedDigest(total)),
      method: 'POST',
      query: '?organization=acme&x=1',
      host: `127.0.0.1:${embedded.gateway.port}`,
      forwarded: ['127.0.0.1', `127.0.0.1:${embedded.gateway.port}`, 'http'],
      passedOn: [null, null, null],
    });
  });

  it("overwrites the client's own forwarding headers: the api learns the address and host from us", async () => {
    const answer = await request(
      embedded.http('/upload'),
      {
        method: 'POST',
        headers: {
          'x-forwarded-for': '10.0.0.1, 10.0.0.2',
          'x-forwarded-host': 'attacker.example',
          'x-forwarded-proto': 'https',
          'x-forwarded-port': '443',
          forwarded: 'for=10.0.0.3;host=attacker.example;proto=https',
          'x-real-ip': '10.0.0.4',
        },
      },
      Readable.from([Buffer.from('x')]),
    );
    expect(JSON.parse(answer.body.toString())).toMatchObject({
      forwarded: ['127.0.0.1', `127.0.0.1:${embedded.gateway.port}`, 'http'],
      passedOn: [null, null, null],
    });
  });

  it('streams a chunked upload (no content-length)', async () => {
    const total = 5 * MB;
    const answer = await request(embedded.http('/upload'), { method: 'PUT' }, generated(total).stream);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ ...(await expectedDigest(total)), method: 'PUT' });
  });

  it('holds the client back while the api does not read, instead of buffering the upload', async () => {
    const total = 64 * MB;
    const body = generated(total);
    const pending = request(
      embedded.http('/upload?wait=400'),
      { method: 'POST', headers: { 'content-length': String(total) } },
      body.stream,
    );
    await sleep(300);
    // Kernel buffers on both hops hold some MB; the rest must still be waiting in the client.
    expect(body.pulled()).toBeLessThan(total / 2);
    const answer = await pending;
    expect(JSON.parse(answer.body.toString())).toMatchObject(await expectedDigest(total));
  });

  it.each([
    ['with content-length', ''],
    ['chunked', '&chunked'],
  ])('streams a large download back (%s)', async (_label, flag) => {
    const total = 40 * MB;
    const answer = await request(embedded.http(`/download?size=${total}${flag}`));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    if (flag) expect(answer.headers['transfer-encoding']).toBe('chunked');
    else expect(answer.headers['content-length']).toBe(String(total));
    const hash = createHash('sha256').update(answer.body).digest('hex');
    expect({ bytes: answer.body.length, sha256: hash }).toEqual(await expectedDigest(total));
  });

  it('holds the api back while the client does not read, instead of buffering the download', async () => {
    const total = 64 * MB;
    const answer = await new Promise<Answer>((resolve, reject) => {
      http
        .get(embedded.http(`/download?size=${total}`), { agent: false }, (res) => {
          res.pause();
          setTimeout(() => {
            expect(lastDownloadPulled()).toBeLessThan(total / 2);
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                statusMessage: '',
                headers: res.headers,
                body: Buffer.concat(chunks),
              }),
            );
            res.resume();
          }, 300);
        })
        .on('error', reject);
    });
    expect(answer.body.length).toBe(total);
  });

  it('passes status, reason, repeated Set-Cookie and other headers through', async () => {
    const answer = await request(embedded.http('/cookies'));
    expect([answer.status, answer.statusMessage]).toEqual([202, 'Accepted For Now']);
    expect(answer.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly', 'csrftoken=xyz; Path=/']);
    expect(answer.headers['x-custom']).toBe('kept');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.body.toString()).toBe('{"ok":true}');
  });

  it("relays the api's early answer to an upload it refused without reading", async () => {
    const total = 20 * MB;
    const answer = await request(
      embedded.http('/too-large'),
      { method: 'POST', headers: { 'content-length': String(total) } },
      generated(total).stream,
    ).catch((error: unknown) => error);
    expect(answer).toMatchObject({ status: 413 });
    // The gateway is still fine afterwards.
    const next = await request(embedded.http('/download?size=16'));
    expect(next.status).toBe(200);
  });

  it('answers HEAD and 204 without a body', async () => {
    const head = await request(embedded.http(`/download?size=1234`), { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '1234', 0]);
    const empty = await request(embedded.http('/empty'), { method: 'DELETE' });
    expect([empty.status, empty.body.length]).toEqual([204, 0]);
  });

  it("proxies any other path and method, including the api's own 404s and plain GETs of socket paths", async () => {
    const missing = await request(embedded.http('/api/nothing/'), { method: 'PATCH' });
    expect([missing.status, JSON.parse(missing.body.toString())]).toEqual([
      404,
      { detail: 'Not found.', path: '/api/nothing/', method: 'PATCH' },
    ]);
    const plainGet = await request(embedded.http(`${chatSocketPath('acme')}`));
    expect(JSON.parse(plainGet.body.toString())).toMatchObject({ path: `${chatSocketPath('acme')}` });
  });

  it("passes /healthz and /readyz to the api: the one port's health is the api's", async () => {
    for (const path of ['/healthz', '/readyz']) {
      const answer = await request(embedded.http(path));
      expect(JSON.parse(answer.body.toString())).toMatchObject({ path, method: 'GET' });
    }
  });

  it('answers 502 with the DRF body when the api is down', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const orphan = await startTestGateway(bus, {}, { proxyHttpTo: { host: '127.0.0.1', port: closedPort } });
    const answer = await request(orphan.http('/api/help-desks/?organization=acme'));
    expect([answer.status, answer.headers['content-type'], answer.body.toString()]).toEqual([
      502,
      'application/json',
      '{"detail":"Bad gateway."}',
    ]);
    await orphan.gateway.close();
  });
});

describe('without a proxy (distributed mode)', () => {
  it('answers 404 with the DRF body for anything but sockets and health', async () => {
    const alone = await startTestGateway(bus);
    for (const [method, path] of [
      ['GET', '/api/help-desks/'],
      ['POST', '/api/send-message/'],
      ['GET', `${chatSocketPath('acme')}`],
    ] as const) {
      const answer = await request(alone.http(path), { method }, method === 'POST' ? '{}' : undefined);
      expect([answer.status, answer.body.toString()]).toEqual([404, '{"detail":"Not found."}']);
    }
    await alone.gateway.close();
  });
});
