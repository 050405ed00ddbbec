import http from 'node:http';
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

// Embedded mode's gateway: events through the in-process bus. (In `pnpm start` it listens on
// loopback behind the api's port, which passes it the chat sockets: services/standalone.)

let bus: InProcessBus;
let publisher: EventPublisher;
let embedded: TestGateway;

beforeAll(async () => {
  bus = new InProcessBus();
  publisher = bus.publisher();
  embedded = await startTestGateway(bus);
});

afterAll(async () => {
  await embedded.gateway.close();
  await bus.close();
});

function request(url: string, method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
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

  it('refuses invalid organization names with 404', async () => {
    expect(await refusedUpgrade(embedded.ws(`${CHAT_SOCKET_PATH_PREFIX}no.dots/`))).toMatchObject({
      status: 404,
      contentType: 'application/json',
      body: '{"detail":"Not found."}',
    });
  });

  it('checks the ticket', async () => {
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

describe('plain HTTP', () => {
  it('answers 404 with the DRF body for anything but sockets and health', async () => {
    for (const [method, path] of [
      ['GET', '/api/help-desks/'],
      ['POST', '/api/send-message/'],
      ['GET', `${chatSocketPath('acme')}`],
    ] as const) {
      const answer = await request(embedded.http(path), method, method === 'POST' ? '{}' : undefined);
      expect([answer.status, answer.body]).toEqual([404, '{"detail":"Not found."}']);
    }
  });
});
