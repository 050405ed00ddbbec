import { randomUUID } from 'node:crypto';
import {
  encodeKeyRevoked,
  InProcessBus,
  keyRevocationsChannel,
  type BusMessageHandler,
  type EventBus,
  type EventSubscriber,
  CLOSE_CODES,
} from '@helpdesk/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { refusedUpgrade, startTestGateway, TestClient, ticketFor, testConfig, type TestGateway } from './helpers.js';

// A key revoked while its socket's upgrade waits for the organization's subscription (the first
// socket of an organization here opens only once the bus confirms it): the revocation reaches
// the gateway before the socket is open, so closing the open sockets misses it; `open` checks.

/** An in-process bus whose organizations' SUBSCRIBEs wait until released. */
class HeldSubscriptions implements EventBus {
  readonly inner = new InProcessBus();
  private release: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));
  pending = 0;

  releaseSubscriptions(): void {
    this.release();
  }
  publisher() {
    return this.inner.publisher();
  }
  history() {
    return this.inner.history();
  }
  keyRevocations(channel: string) {
    return this.inner.keyRevocations(channel);
  }
  subscriber(onMessage: BusMessageHandler): EventSubscriber {
    const inner = this.inner.subscriber(onMessage);
    return {
      ...inner,
      subscribe: async (channel) => {
        if (channel.includes(':org:')) {
          this.pending += 1;
          await this.held;
        }
        await inner.subscribe(channel);
      },
    };
  }
  close() {
    return this.inner.close();
  }
}

const gateways: TestGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.gateway.close()));
});

describe('a key revoked while its socket waits for the bus', () => {
  it('closes that socket with 4001 as soon as it opens', async () => {
    const bus = new HeldSubscriptions();
    const served = await startTestGateway(bus);
    gateways.push(served);
    const keyId = randomUUID();
    const connecting = TestClient.connect(served.chat('acme', { token: ticketFor('acme', { keyId }) }));
    await expect.poll(() => bus.pending).toBe(1);
    await bus.publisher().publish(keyRevocationsChannel(served.config.redisPrefix), encodeKeyRevoked(keyId));
    bus.releaseSubscriptions();
    const client = await connecting;
    expect(await client.closed).toEqual({ code: CLOSE_CODES.keyRevoked, reason: 'API key revoked' });
    expect(served.gateway.stats()).toMatchObject({ revokedKeyCloses: 1, open: 0 });
  });
});

describe('a gateway that starts after a revocation', () => {
  it("refuses the key's unexpired tickets: it reads the kept revocations first", async () => {
    const bus = new InProcessBus();
    const config = testConfig();
    const keyId = randomUUID();
    await bus.keyRevocations(keyRevocationsChannel(config.redisPrefix)).add(keyId, Date.now() + 60_000);
    const served = await startTestGateway(bus, { redisPrefix: config.redisPrefix });
    gateways.push(served);
    expect(await refusedUpgrade(served.chat('acme', { token: ticketFor('acme', { keyId }) }))).toMatchObject({
      status: 401,
      body: '{"detail":"Invalid or expired ticket."}',
    });
    const other = await TestClient.connect(served.chat('acme', { token: ticketFor('acme', { keyId: randomUUID() }) }));
    await other.close();
  });
});
