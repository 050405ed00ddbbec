import { organizationChannel, RedisBus, type EventPublisher, CLOSE_CODES } from '@helpdesk/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testEnv } from '../../../test/test-env.js';
import { sampleEnvelope, startTestGateway, TestClient, waitFor, type TestGateway } from './helpers.js';

// A slow consumer's close frame queues behind what it has not read; a client that never reads
// never gets it, and uWS would keep its connection (and the bytes queued in the kernel for it)
// until its own timeout (issue 13, item 8). The gateway cuts such a connection once
// WS_CLOSE_TIMEOUT_MS went by without the close frame going out.

const CLOSE_TIMEOUT_MS = 1000;

let redisBus: RedisBus;
let publisher: EventPublisher;
const gateways: TestGateway[] = [];

beforeAll(() => {
  redisBus = new RedisBus({ url: testEnv().redisUrl, connectionName: 'helpdesk-gateway-slow-consumer-test' });
  publisher = redisBus.publisher();
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.gateway.close()));
  await redisBus.close();
});

async function guardedGateway(): Promise<TestGateway> {
  const served = await startTestGateway(redisBus, {
    maxBackpressureBytes: 64 * 1024,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
  });
  gateways.push(served);
  return served;
}

/** Publishes 16 KiB frames to the organization until the gateway closed a slow consumer of it. */
async function floodUntilSlowConsumer(served: TestGateway, organization: string): Promise<void> {
  const channel = organizationChannel(served.config.redisPrefix, organization);
  const frame = sampleEnvelope('x'.repeat(16 * 1024));
  // ~32 MB at most: far more than loopback's kernel buffers hold.
  for (let i = 0; i < 2000; i += 1) {
    await publisher.publish(channel, frame);
    if ((served.gateway.stats() as { slowConsumers: number }).slowConsumers > 0) return;
  }
  throw new Error('no slow consumer closed');
}

describe('closing a slow consumer', () => {
  it('cuts the connection of one that never reads within WS_CLOSE_TIMEOUT_MS, not at the idle timeout', async () => {
    const served = await guardedGateway();
    const stalled = await TestClient.connect(served.chat('stalled'));
    let closedAt: number | undefined;
    void stalled.closed.then(() => (closedAt = performance.now()));
    stalled.socket.pause();
    await floodUntilSlowConsumer(served, 'stalled');
    const closingAt = performance.now();

    // The client keeps writing without reading: once the gateway has let go of the connection,
    // the next write is answered with a reset, which ends the client's socket.
    const pinging = setInterval(() => {
      if (stalled.socket.readyState === WebSocket.OPEN) stalled.socket.ping();
    }, 50);
    try {
      await waitFor(() => closedAt !== undefined, 'the connection cut', CLOSE_TIMEOUT_MS + 4000);
    } finally {
      clearInterval(pinging);
    }
    // No close frame could reach it: it never read what was queued before.
    expect((await stalled.closed).code).toBe(1006);
    expect(closedAt! - closingAt).toBeLessThan(CLOSE_TIMEOUT_MS + 4000);
    expect(served.gateway.stats()).toMatchObject({ slowConsumers: 1, forcedCloses: 1, open: 0, slots: 0 });
  });

  it('still sends 4008 to one that reads again before WS_CLOSE_TIMEOUT_MS, after what it had buffered', async () => {
    const served = await guardedGateway();
    const slow = await TestClient.connect(served.chat('sluggish'));
    slow.socket.pause();
    await floodUntilSlowConsumer(served, 'sluggish');
    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: CLOSE_CODES.slowConsumer, reason: 'Slow consumer' });
    expect(slow.frames.length).toBeGreaterThan(0);
    expect(served.gateway.stats()).toMatchObject({ slowConsumers: 1, forcedCloses: 0, open: 0 });
  });
});
