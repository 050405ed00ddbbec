import http from 'node:http';
import { organizationChannel, RedisBus, type EventPublisher } from '@helpdesk/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../../test/test-env.js';
import { CLOSE_CODES } from '../src/close-codes.js';
import { refusedUpgrade, sampleEnvelope, startTestGateway, TestClient, waitFor, type TestGateway } from './helpers.js';

// The gateway against a real Redis, as in distributed mode: events published to an
// organization's channel by anyone (the api) reach that organization's sockets, byte for byte.

let redisBus: RedisBus;
let publisher: EventPublisher;
let observer: Redis; // a separate connection that looks at the server's pub/sub state
let served: TestGateway;

beforeAll(async () => {
  const { redisUrl } = testEnv();
  redisBus = new RedisBus({ url: redisUrl, connectionName: 'helpdesk-gateway-test' });
  publisher = redisBus.publisher();
  observer = new Redis(redisUrl);
  served = await startTestGateway(redisBus);
});

afterAll(async () => {
  await served.gateway.close();
  await redisBus.close();
  observer.disconnect();
});

function channelOf(gateway: TestGateway, organization: string): string {
  return organizationChannel(gateway.config.redisPrefix, organization);
}

async function subscribedChannels(gateway: TestGateway): Promise<string[]> {
  return (await observer.pubsub('CHANNELS', `${gateway.config.redisPrefix}*`)) as string[];
}

describe('fan-out', () => {
  it("delivers an organization's events to each of its sockets, with or without the trailing slash, and to no one else", async () => {
    const a1 = await TestClient.connect(served.ws('/ws/chat/acme/'));
    const a2 = await TestClient.connect(served.ws('/ws/chat/acme'));
    const b = await TestClient.connect(served.ws('/ws/chat/globex/'));

    const first = sampleEnvelope('primeira mensagem ✓');
    const second = sampleEnvelope('segunda');
    await publisher.publish(channelOf(served, 'acme'), first);
    await publisher.publish(channelOf(served, 'acme'), second);

    for (const client of [a1, a2]) {
      const frames = await client.waitForFrames(2);
      expect(frames.map((frame) => frame.isBinary)).toEqual([false, false]);
      expect(frames.map((frame) => frame.data)).toEqual([Buffer.from(first), Buffer.from(second)]);
    }

    // globex's own event arrives, and nothing of acme's came before it.
    const forB = sampleEnvelope('para globex');
    await publisher.publish(channelOf(served, 'globex'), forB);
    const framesOfB = await b.waitForFrames(1);
    expect(framesOfB.map((frame) => frame.data.toString())).toEqual([forB]);
    expect(a1.frames).toHaveLength(2);

    await Promise.all([a1.close(), a2.close(), b.close()]);
  });

  it('subscribes on the first socket of an organization and unsubscribes after the last one', async () => {
    const channel = channelOf(served, 'initech');
    expect(await subscribedChannels(served)).not.toContain(channel);

    // The upgrade completes only once Redis confirmed the SUBSCRIBE.
    const first = await TestClient.connect(served.ws('/ws/chat/initech/'));
    expect(await subscribedChannels(served)).toContain(channel);
    const second = await TestClient.connect(served.ws('/ws/chat/initech/'));

    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await subscribedChannels(served)).toContain(channel);

    await second.close();
    await waitFor(async () => !(await subscribedChannels(served)).includes(channel), 'UNSUBSCRIBE of the last socket');
  });

  it('never leaks or loses the subscription when sockets come and go faster than Redis answers', async () => {
    const channel = channelOf(served, 'umbrella');
    for (let round = 0; round < 5; round += 1) {
      const batch = await Promise.all(
        Array.from({ length: 4 }, () => TestClient.connect(served.ws('/ws/chat/umbrella/'))),
      );
      // Close all but one without waiting, then open another while UNSUBSCRIBEs may be in flight.
      for (const client of batch.slice(1)) client.socket.close();
      await batch[0]?.close();
      const survivor = await TestClient.connect(served.ws('/ws/chat/umbrella'));
      const envelope = sampleEnvelope(`round ${round}`);
      await publisher.publish(channel, envelope);
      const frames = await survivor.waitForFrames(1);
      expect(frames[0]?.data.toString()).toBe(envelope);
      await survivor.close();
    }
    await waitFor(async () => !(await subscribedChannels(served)).includes(channel), 'no subscription left');
  });

  it('ignores what clients send', async () => {
    const client = await TestClient.connect(served.ws('/ws/chat/acme/'));
    client.socket.send('{"type":"anything"}');
    client.socket.send(Buffer.from([1, 2, 3]));
    const envelope = sampleEnvelope();
    await publisher.publish(channelOf(served, 'acme'), envelope);
    const frames = await client.waitForFrames(1);
    expect(frames.map((frame) => frame.data.toString())).toEqual([envelope]);
    await client.close();
  });

  it('drops a client that sends a frame over WS_MAX_PAYLOAD_LENGTH', async () => {
    const client = await TestClient.connect(served.ws('/ws/chat/acme/'));
    client.socket.send('x'.repeat(served.config.maxPayloadLength + 1));
    // uWS cuts the connection without a close frame, which a client reports as 1006.
    expect((await client.closed).code).toBe(1006);
  });
});

describe('refusals before the upgrade', () => {
  it.each([
    '/ws/chat/bad.name/',
    '/ws/chat/has%20space/',
    '/ws/chat/a/b/',
    `/ws/chat/${'x'.repeat(65)}/`,
    '/ws/chat//',
  ])('answers 404 with the DRF body for %s', async (path) => {
    const refusal = await refusedUpgrade(served.ws(path));
    expect(refusal).toEqual({ status: 404, contentType: 'application/json', body: '{"detail":"Not found."}' });
  });

  it('refuses sockets over the per-organization limit with 429 and over the total with 503', async () => {
    const limited = await startTestGateway(redisBus, { maxSocketsPerOrganization: 2, maxSockets: 3 });
    const a1 = await TestClient.connect(limited.ws('/ws/chat/acme/'));
    const a2 = await TestClient.connect(limited.ws('/ws/chat/acme/'));

    const perOrganization = await refusedUpgrade(limited.ws('/ws/chat/acme/'));
    expect(perOrganization.status).toBe(429);
    expect(JSON.parse(perOrganization.body)).toEqual({ detail: 'Too many connections for this organization.' });

    const b1 = await TestClient.connect(limited.ws('/ws/chat/globex/'));
    const total = await refusedUpgrade(limited.ws('/ws/chat/initech/'));
    expect(total.status).toBe(503);
    expect(JSON.parse(total.body)).toEqual({ detail: 'Too many connections on this server.' });

    // A slot freed by a closed socket is available again (uWS ran the close handler before it
    // answered the client's close frame).
    await a1.close();
    const again = await TestClient.connect(limited.ws('/ws/chat/acme/'));
    await Promise.all([a2.close(), b1.close(), again.close()]);
    await limited.gateway.close();
  });
});

describe('health and drain', () => {
  it('answers /healthz and /readyz, and on close() fails readiness, closes sockets with 1012 and unsubscribes', async () => {
    const draining = await startTestGateway(redisBus);
    const healthz = await fetch(draining.http('/healthz'));
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(draining.http('/readyz'));
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok' }]);

    const clients = await Promise.all([
      TestClient.connect(draining.ws('/ws/chat/acme/')),
      TestClient.connect(draining.ws('/ws/chat/acme/')),
      TestClient.connect(draining.ws('/ws/chat/globex/')),
    ]);
    expect(await subscribedChannels(draining)).toHaveLength(2);

    // Readiness turns 503 at once, before close() has finished: ask on a connection opened before.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const warm = await fetchWith(keepAlive, draining.http('/readyz'));
    expect(warm.status).toBe(200);
    const closing = draining.gateway.close();
    const whileDraining = await fetchWith(keepAlive, draining.http('/readyz'));
    expect([whileDraining.status, JSON.parse(whileDraining.body)]).toEqual([503, { status: 'draining' }]);

    for (const client of clients) {
      expect(await client.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    }
    await closing;
    keepAlive.destroy();
    expect(await subscribedChannels(draining)).toEqual([]);
    await expect(fetch(draining.http('/healthz'))).rejects.toThrow();
  });
});

describe('slow consumers', () => {
  it('closes a socket that stopped reading with 4008 while a reading socket gets every frame', async () => {
    const guarded = await startTestGateway(redisBus, { maxBackpressureBytes: 64 * 1024 });
    const slow = await TestClient.connect(guarded.ws('/ws/chat/acme/'));
    const fast = await TestClient.connect(guarded.ws('/ws/chat/acme/'));
    slow.socket.pause();

    // ~12 MB: more than the kernel buffers of a loopback connection hold, so uWS has to buffer.
    const frame = sampleEnvelope('x'.repeat(16 * 1024));
    const count = 750;
    for (let i = 0; i < count; i += 1)
      await publisher.publish(organizationChannel(guarded.config.redisPrefix, 'acme'), frame);

    const frames = await fast.waitForFrames(count, 15_000);
    expect(frames.every((received) => received.data.toString() === frame)).toBe(true);

    slow.socket.resume();
    const closed = await slow.closed;
    expect(closed).toEqual({ code: CLOSE_CODES.slowConsumer, reason: 'Slow consumer' });
    expect(slow.frames.length).toBeLessThan(count);
    expect(fast.socket.readyState).toBe(fast.socket.OPEN);

    await fast.close();
    await guarded.gateway.close();
  });
});

function fetchWith(agent: http.Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      })
      .on('error', reject);
  });
}
