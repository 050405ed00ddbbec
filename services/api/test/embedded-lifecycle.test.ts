import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus, organizationChannel } from '@helpdesk/shared';
import { createApi, createLogger, loadApiConfig } from '../src/index.js';

// The embedded mode (PGlite, in-process bus) runs the same outbox, relay, webhook deliveries and
// idempotency keys as Postgres: one pass through all of them.

let dir: string;
let app: FastifyInstance;
let bus: InProcessBus;
let receiver: Server;
const received: string[] = [];
const frames: string[] = [];
const admin = randomBytes(32).toString('base64url');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hd-embedded-api-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(received.length === 1 ? 500 : 204).end();
    });
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => receiver.once('listening', resolve));
  const config = loadApiConfig({
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    SECRET_KEY: randomBytes(32).toString('base64url'),
    ADMIN_TOKEN: admin,
    RATE_LIMIT_MAX: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
    // The receiver is this test's own server, on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_BASE_MS: '20',
    WEBHOOK_POLL_INTERVAL_MS: '20',
  });
  bus = new InProcessBus(config.history);
  app = await createApi(config, {
    publisher: bus.publisher(),
    revocations: bus,
    logger: createLogger('silent', 'test'),
  });
  await bus
    .subscriber((_channel, payload) => frames.push(payload.toString()))
    .subscribe(organizationChannel(config.events.prefix, 'emb'));
}, 60_000);

afterAll(async () => {
  await app?.close();
  await bus?.close();
  receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const call = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${admin}`, ...headers } });

describe('embedded (PGlite): the message lifecycle', () => {
  it('inbound, outbound through a webhook with a retry, a status callback, an idempotent retry; events in order', async () => {
    expect((await call('POST', '/api/organizations/', { name: 'emb' })).statusCode).toBe(201);
    const inbound = await call('POST', '/api/receive-message/', {
      organization: 'emb',
      client: { name: 'Ana', phone: '1' },
      message: 'oi',
    });
    expect(inbound.statusCode).toBe(201);
    const helpDesk = inbound.json<{ help_desk: string }>().help_desk;

    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    expect(
      (await call('PUT', '/api/organizations/emb/webhook/', { url: hook, secret: 's'.repeat(16) })).statusCode,
    ).toBe(200);
    const sent = await call(
      'POST',
      '/api/send-message/',
      { message: 'olá', help_desk: helpDesk },
      { 'idempotency-key': 'one' },
    );
    expect(sent.json()).toMatchObject({ status: 'sending' });
    const again = await call(
      'POST',
      '/api/send-message/',
      { message: 'olá', help_desk: helpDesk },
      { 'idempotency-key': 'one' },
    );
    expect(again.body).toBe(sent.body);
    const uuid = sent.json<{ uuid: string }>().uuid;
    const statusOf = async () =>
      (await call('GET', `/api/help-desks/${helpDesk}/history/`))
        .json<Array<{ uuid: string; status: string }>>()
        .find((m) => m.uuid === uuid)?.status;
    await expect.poll(statusOf).toBe('sent');
    expect(received).toHaveLength(2);
    expect((await call('PATCH', `/api/messages/${uuid}/`, { status: 'read' })).statusCode).toBe(200);

    await app.relay.flush();
    const events = frames.map((f) => JSON.parse(f) as { type: string; id: number });
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ['new_message', 1],
      ['update_helpdesk', 2],
      ['new_message', 3],
      ['update_helpdesk', 4],
      ['update_message', 5],
      ['update_message', 6],
    ]);
  });
});
