import { randomUUID } from 'node:crypto';
import { encodeKeyRevoked, InProcessBus, keyRevocationsChannel, CLOSE_CODES } from '@helpdesk/shared';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HeldSubscriptions,
  refusedUpgrade,
  startTestGateway,
  TestClient,
  ticketFor,
  testConfig,
  type TestGateway,
} from './helpers.js';

// A key revoked while its socket's organization subscription is not confirmed yet (the first
// socket of an organization here opens at once, and its topic catches up once the bus confirms
// the SUBSCRIBE): the socket is open, so the revocation closes it like any other.

const gateways: TestGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.gateway.close()));
});

describe('a key revoked while its socket waits for the bus', () => {
  it('closes that socket with 4001', async () => {
    const bus = new HeldSubscriptions(new InProcessBus());
    const served = await startTestGateway(bus);
    gateways.push(served);
    const keyId = randomUUID();
    const connecting = TestClient.connect(served.chat('acme', { token: ticketFor('acme', { keyId }) }));
    await expect.poll(() => bus.pending).toBe(1);
    await bus.publisher().publish(keyRevocationsChannel(served.config.redisPrefix), encodeKeyRevoked(keyId));
    bus.release();
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
