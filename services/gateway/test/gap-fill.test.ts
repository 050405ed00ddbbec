import {
  encodeResync,
  historyKey,
  keyRevocationsChannel,
  organizationChannel,
  RedisBus,
  type EventPublisher,
  CLOSE_CODES,
  withTimeout,
} from '@helpdesk/shared';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../test/redis-server.js';
import {
  idRange,
  SequencedEvents,
  sampleEnvelope,
  startTestGateway,
  TestClient,
  ticketFor,
  waitFor,
  type TestGateway,
} from './helpers.js';
import { RedisGate } from './redis-gate.js';

// Gap fill after a Redis restart (issue 4: nothing lost on broker hiccups), on a private
// redis-server the test kills and starts again. The gateway reaches Redis through a gate the test
// holds shut, so events can be published on the restarted Redis (in its history, live to nobody)
// for certain before the gateway is back; then more while and after it subscribes again.

const started: { redis: PrivateRedis[]; gates: RedisGate[]; gateways: TestGateway[]; buses: RedisBus[] } = {
  redis: [],
  gates: [],
  gateways: [],
  buses: [],
};

afterEach(async () => {
  await Promise.all(started.gateways.splice(0).map((g) => g.gateway.close()));
  await Promise.all(started.buses.splice(0).map((bus) => bus.close()));
  await Promise.all(started.gates.splice(0).map((gate) => gate.stop()));
  await Promise.all(started.redis.splice(0).map((redis) => redis.stop()));
});

let counter = 0;

/** One organization's events, with the same bytes each time an id is asked for. */
class Organization extends SequencedEvents {
  readonly name: string;

  constructor(readonly served: TestGateway) {
    counter += 1;
    const name = `gap-${counter}`;
    super(organizationChannel(served.config.redisPrefix, name));
    this.name = name;
  }

  async connect(count: number): Promise<TestClient[]> {
    return Promise.all(idRange(1, count).map(() => TestClient.connect(this.served.chat(this.name))));
  }

  /** Publishes an id-less marker, waits until each client got it, and returns what each got before it. */
  async framesBeforeMarker(publisher: EventPublisher, clients: TestClient[]): Promise<string[][]> {
    const marker = sampleEnvelope(`marker of ${this.name}`);
    await publisher.publish(this.channel, marker);
    return Promise.all(
      clients.map(async (client) => {
        await waitFor(() => client.frames.some((frame) => frame.data.toString() === marker), 'the marker', 10_000);
        const texts = client.frames.map((frame) => frame.data.toString());
        return texts.slice(0, texts.indexOf(marker));
      }),
    );
  }
}

/** A private Redis, a gate in front of it, and a gateway whose bus goes through the gate. */
async function setup() {
  const redis = await startPrivateRedis();
  started.redis.push(redis);
  const gate = await RedisGate.start(redis.port);
  started.gates.push(gate);
  const bus = new RedisBus({ url: gate.url, connectionName: 'helpdesk-gateway-gap-test' });
  started.buses.push(bus);
  const served = await startTestGateway(bus);
  started.gateways.push(served);
  /** A publisher on a connection of its own, straight to Redis (the api's relay). */
  const publisher = (): EventPublisher => {
    const own = new RedisBus({ url: redis.url, connectionName: 'helpdesk-relay-gap-test' });
    started.buses.push(own);
    return own.publisher();
  };
  const stats = () =>
    served.gateway.stats() as { resubscribes: number; gapFills: Record<string, unknown>; subscribedChannels: number };
  /** Kills Redis (the gate drops the gateway's connections first) and starts it again, empty. */
  const restartBehindShutGate = async () => {
    gate.close();
    await redis.kill();
    await redis.restart();
  };
  return { redis, gate, bus, served, publisher, stats, restartBehindShutGate };
}

describe('gap fill after the gateway lost Redis', () => {
  it('sends every socket every event exactly once, in order, with no resync, across a Redis restart', async () => {
    const { gate, served, publisher, stats, restartBehindShutGate } = await setup();
    const a = new Organization(served);
    const b = new Organization(served);
    const socketsA = await a.connect(3);
    const socketsB = await b.connect(2);
    const before = publisher();
    await a.publish(before, 1, 5);
    await b.publish(before, 1, 3);
    await waitFor(() => socketsA.every((s) => s.frames.length >= 5), "a's 1–5");
    await waitFor(() => socketsB.every((s) => s.frames.length >= 3), "b's 1–3");

    // What /readyz answers, and what the embedded api's /readyz asks the gateway.
    const readiness = async () => {
      const res = await fetch(served.http('/readyz'));
      return [res.status, await res.json(), served.gateway.notReadyBecause()] as const;
    };
    expect(await readiness()).toEqual([200, { status: 'ok' }, undefined]);
    await restartBehindShutGate();
    // On the restarted Redis, before the gateway can be back: in the history, live to nobody.
    const relay = publisher();
    await a.publish(relay, 6, 10);
    await b.publish(relay, 4, 6);
    expect(stats().resubscribes).toBe(0);
    // No new sockets here while it has no events to give them; alive all the same.
    expect(await readiness()).toEqual([503, { status: 'events unavailable' }, 'events unavailable']);
    expect((await fetch(served.http('/healthz'))).status).toBe(200);

    gate.open();
    // Racing the gateway's return: these land before, during or after its SUBSCRIBE.
    await a.publish(relay, 11, 13);
    await waitFor(() => stats().resubscribes === 1, 'the gateway to subscribe again', 10_000);
    expect(await readiness()).toEqual([200, { status: 'ok' }, undefined]);
    await a.publish(relay, 14, 20);
    await b.publish(relay, 7, 8);

    const expectedA = a.payloadsOf(1, 20);
    expect(await a.framesBeforeMarker(relay, socketsA)).toEqual(socketsA.map(() => expectedA));
    const expectedB = b.payloadsOf(1, 8);
    expect(await b.framesBeforeMarker(relay, socketsB)).toEqual(socketsB.map(() => expectedB));
    expect(stats().gapFills).toMatchObject({
      started: 2,
      resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 },
    });
    expect((stats().gapFills as { events: number }).events).toBeGreaterThanOrEqual(5 + 3);
  }, 30_000);

  it("publishes a resync to the topic when the restarted Redis's history no longer reaches back", async () => {
    const { redis, gate, served, publisher, stats, restartBehindShutGate } = await setup();
    const org = new Organization(served);
    const sockets = await org.connect(2);
    await org.publish(publisher(), 1, 3);
    await waitFor(() => sockets.every((s) => s.frames.length >= 3), '1–3');

    await restartBehindShutGate();
    const relay = publisher();
    await org.publish(relay, 4, 8);
    // The history lost 4 and 5 (trimmed): it starts after a gap.
    const raw = new Redis(redis.url);
    try {
      await raw.xtrim(historyKey(org.channel), 'MINID', '6-0');
    } finally {
      raw.disconnect();
    }
    gate.open();
    // Once the fill is over: an event published before the channel's SUBSCRIBE took effect again
    // is only in the history, and after a resync the client's refetch covers it, not a frame.
    await waitFor(
      () => (stats().gapFills as { resyncs: { notKept: number } }).resyncs.notKept === 1,
      'the resync',
      10_000,
    );
    await org.publish(relay, 9, 10);

    const expected = [...org.payloadsOf(1, 3), encodeResync(3), ...org.payloadsOf(9, 10)];
    expect(await org.framesBeforeMarker(relay, sockets)).toEqual(sockets.map(() => expected));
    expect(stats()).toMatchObject({ resubscribes: 1, gapFills: { started: 1, resyncs: { notKept: 1 } } });
  }, 30_000);

  it('fills the gap of a topic that had carried no event yet, from the history id its first socket found', async () => {
    const { gate, served, publisher, stats } = await setup();
    const org = new Organization(served);
    const relay = publisher();
    // Before anyone connects: kept, but not the sockets' business.
    await org.publish(relay, 1, 2);
    const sockets = await org.connect(2);
    // The sockets opened before their SUBSCRIBE was answered; once it was, and their topic caught
    // up, an id-less event reaches them (the topic still carried no id). A bus lost before that
    // would leave the catch-up unsure what it missed: a resync, not this test's case.
    await waitFor(() => stats().subscribedChannels === 1, 'the SUBSCRIBE');
    const caughtUp = sampleEnvelope(`${org.name} caught up`);
    await relay.publish(org.channel, caughtUp);
    await waitFor(() => sockets.every((s) => s.frames.length === 1), 'the catch-up');

    // The gateway loses Redis before any event reached its sockets; Redis keeps its history.
    gate.close();
    await org.publish(relay, 3, 5);
    gate.open();
    await waitFor(() => stats().resubscribes === 1, 'the gateway to subscribe again', 10_000);
    await org.publish(relay, 6, 7);

    const expected = [caughtUp, ...org.payloadsOf(3, 7)];
    expect(await org.framesBeforeMarker(relay, sockets)).toEqual(sockets.map(() => expected));
    expect(stats().gapFills).toMatchObject({
      started: 1,
      resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 },
    });
  }, 30_000);

  it('publishes no resync when the restarted Redis holds nothing yet, and forwards what comes next', async () => {
    const { gate, served, publisher, stats, restartBehindShutGate } = await setup();
    const org = new Organization(served);
    const sockets = await org.connect(2);
    await org.publish(publisher(), 1, 3);
    await waitFor(() => sockets.every((s) => s.frames.length >= 3), '1–3');

    await restartBehindShutGate();
    gate.open();
    await waitFor(() => stats().resubscribes === 1, 'the gateway to subscribe again', 10_000);
    await waitFor(() => (stats().gapFills as { started: number }).started === 1, 'the fill');
    // The relay publishes again what the lost Redis had not taken, then new events.
    const relay = publisher();
    await org.publish(relay, 4, 6);

    const expected = org.payloadsOf(1, 6);
    expect(await org.framesBeforeMarker(relay, sockets)).toEqual(sockets.map(() => expected));
    expect(stats().gapFills).toMatchObject({ resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 } });
  }, 30_000);
});

describe('key revocations while the gateway lost Redis', () => {
  it('closes the sockets of a key revoked meanwhile once it is back (from the kept list)', async () => {
    const { redis, gate, served, stats, restartBehindShutGate } = await setup();
    const keyId = randomUUID();
    const revoked = await TestClient.connect(served.chat('acme', { token: ticketFor('acme', { keyId }) }));
    const kept = await TestClient.connect(served.chat('acme', { token: ticketFor('acme', { keyId: randomUUID() }) }));
    await restartBehindShutGate();
    // Revoked while the gateway cannot hear it: kept in the (restarted) Redis, live to nobody.
    const api = new RedisBus({ url: redis.url, connectionName: 'helpdesk-api-revocation-test' });
    started.buses.push(api);
    await api.keyRevocations(keyRevocationsChannel(served.config.redisPrefix)).add(keyId, Date.now() + 60_000);
    gate.open();
    expect(await revoked.closed).toEqual({ code: CLOSE_CODES.keyRevoked, reason: 'API key revoked' });
    expect(stats().resubscribes).toBe(1);
    expect(served.gateway.stats()).toMatchObject({ open: 1, revokedKeyCloses: 1 });
    await kept.close();
  }, 30_000);
});

describe('a gateway stopping while Redis does not answer', () => {
  it('closes its sockets with 1012 and finishes within a few seconds, not the shutdown grace', async () => {
    const { gate, served, bus } = await setup();
    const subscribed = new Organization(served);
    const [early] = await subscribed.connect(1);
    await waitFor(
      () => (served.gateway.stats() as { subscribedChannels: number }).subscribedChannels === 1,
      'a SUBSCRIBE',
    );
    // Redis hangs: connections up, no answers. A new organization's SUBSCRIBE stays unanswered.
    gate.silence();
    const [late] = await new Organization(served).connect(1);

    // As main.ts stops: the gateway, then its bus (whose QUIT gets no answer either).
    await withTimeout(served.gateway.close(), 5_000, 'gateway.close() waited on the silent Redis');
    await withTimeout(bus.close(), 5_000, 'bus.close() waited on the silent Redis');
    for (const client of [early!, late!]) {
      expect(await client.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    }
  });
});
