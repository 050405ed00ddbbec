import http from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  encodeKeyRevoked,
  keyRevocationsChannel,
  organizationChannel,
  RedisBus,
  type EventPublisher,
  CLOSE_CODES,
  CHAT_SOCKET_PATH_PREFIX,
  chatSocketPath,
  TICKET_PROTOCOL,
} from '@helpdesk/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../../test/test-env.js';
import {
  envelopeWithId,
  refusedUpgrade,
  sampleEnvelope,
  startTestGateway,
  TestClient,
  ticketFor,
  waitFor,
  type TestGateway,
} from './helpers.js';

// The gateway against a real Redis, as in distributed mode: events published to an
// organization's channel by anyone (the api) reach that organization's sockets, byte for byte.
//
// A test that publishes id-less envelopes right after connecting uses organizations no other test
// uses: tests run in any order, and right after another test's last socket of an organization
// left, its UNSUBSCRIBE may be in flight, which a new socket's SUBSCRIBE waits for; an id-less
// envelope published meanwhile reaches no one (events with ids are caught up from the history).

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

/** The organizations' channels the gateway is subscribed to (not its key-revocations channel). */
async function subscribedChannels(gateway: TestGateway): Promise<string[]> {
  return (await observer.pubsub('CHANNELS', `${gateway.config.redisPrefix}org:*`)) as string[];
}

describe('fan-out', () => {
  it("delivers an organization's events to each of its sockets, with or without the trailing slash, and to no one else", async () => {
    const a1 = await TestClient.connect(served.chat('fanout'));
    const a2 = await TestClient.connect(served.chat('fanout', { trailingSlash: false }));
    const b = await TestClient.connect(served.chat('elsewhere'));

    const first = sampleEnvelope('primeira mensagem ✓');
    const second = sampleEnvelope('segunda');
    await publisher.publish(channelOf(served, 'fanout'), first);
    await publisher.publish(channelOf(served, 'fanout'), second);

    for (const client of [a1, a2]) {
      const frames = await client.waitForFrames(2);
      expect(frames.map((frame) => frame.isBinary)).toEqual([false, false]);
      expect(frames.map((frame) => frame.data)).toEqual([Buffer.from(first), Buffer.from(second)]);
    }

    // globex's own event arrives, and nothing of acme's came before it.
    const forB = sampleEnvelope('para globex');
    await publisher.publish(channelOf(served, 'elsewhere'), forB);
    const framesOfB = await b.waitForFrames(1);
    expect(framesOfB.map((frame) => frame.data.toString())).toEqual([forB]);
    expect(a1.frames).toHaveLength(2);

    await Promise.all([a1.close(), a2.close(), b.close()]);
  });

  it('subscribes on the first socket of an organization and unsubscribes after the last one', async () => {
    const channel = channelOf(served, 'initech');
    expect(await subscribedChannels(served)).not.toContain(channel);

    // The socket opens at once; the SUBSCRIBE went out before its 101.
    const first = await TestClient.connect(served.chat('initech'));
    await waitFor(async () => (await subscribedChannels(served)).includes(channel), 'SUBSCRIBE of the first socket');
    const second = await TestClient.connect(served.chat('initech'));

    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await subscribedChannels(served)).toContain(channel);

    await second.close();
    await waitFor(async () => !(await subscribedChannels(served)).includes(channel), 'UNSUBSCRIBE of the last socket');
  });

  it('never leaks or loses the subscription when sockets come and go faster than Redis answers', async () => {
    const channel = channelOf(served, 'umbrella');
    for (let round = 0; round < 5; round += 1) {
      const batch = await Promise.all(Array.from({ length: 4 }, () => TestClient.connect(served.chat('umbrella'))));
      // Close all but one without waiting, then open another while UNSUBSCRIBEs may be in flight.
      for (const client of batch.slice(1)) client.socket.close();
      await batch[0]?.close();
      const survivor = await TestClient.connect(served.chat('umbrella', { trailingSlash: false }));
      // With an id, as the api's relay publishes: published before a SUBSCRIBE that waited for an
      // UNSUBSCRIBE took effect, it reaches the survivor from the history.
      const envelope = envelopeWithId(round + 1, `round ${round}`);
      await publisher.publishSequenced([{ channel, id: round + 1, payload: envelope }]);
      const frames = await survivor.waitForFrames(1);
      expect(frames[0]?.data.toString()).toBe(envelope);
      await survivor.close();
    }
    await waitFor(async () => !(await subscribedChannels(served)).includes(channel), 'no subscription left');
  });

  it('ignores what clients send', async () => {
    const client = await TestClient.connect(served.chat('quiet'));
    client.socket.send('{"type":"anything"}');
    client.socket.send(Buffer.from([1, 2, 3]));
    const envelope = sampleEnvelope();
    await publisher.publish(channelOf(served, 'quiet'), envelope);
    const frames = await client.waitForFrames(1);
    expect(frames.map((frame) => frame.data.toString())).toEqual([envelope]);
    await client.close();
  });

  it('drops a client that sends a frame over WS_MAX_PAYLOAD_LENGTH', async () => {
    const client = await TestClient.connect(served.chat('acme'));
    client.socket.send('x'.repeat(served.config.maxPayloadLength + 1));
    // uWS cuts the connection without a close frame, which a client reports as 1006.
    expect((await client.closed).code).toBe(1006);
  });
});

describe('refusals before the upgrade', () => {
  it.each([
    `${CHAT_SOCKET_PATH_PREFIX}bad.name/`,
    `${CHAT_SOCKET_PATH_PREFIX}has%20space/`,
    `${chatSocketPath('a')}b/`,
    `${chatSocketPath('x'.repeat(65))}`,
    `${CHAT_SOCKET_PATH_PREFIX}/`,
  ])('answers 404 with the DRF body for %s', async (path) => {
    const refusal = await refusedUpgrade(served.ws(path));
    expect(refusal).toMatchObject({ status: 404, contentType: 'application/json', body: '{"detail":"Not found."}' });
  });

  it('refuses sockets over the per-organization limit with 429 and over the total with 503', async () => {
    const limited = await startTestGateway(redisBus, { maxSocketsPerOrganization: 2, maxSockets: 3 });
    const a1 = await TestClient.connect(limited.chat('acme'));
    const a2 = await TestClient.connect(limited.chat('acme'));

    const perOrganization = await refusedUpgrade(limited.chat('acme'));
    expect(perOrganization.status).toBe(429);
    expect(JSON.parse(perOrganization.body)).toEqual({ detail: 'Too many connections for this organization.' });

    const b1 = await TestClient.connect(limited.chat('globex'));
    const total = await refusedUpgrade(limited.chat('initech'));
    expect(total.status).toBe(503);
    expect(JSON.parse(total.body)).toEqual({ detail: 'Too many connections on this server.' });

    // A slot freed by a closed socket is available again (uWS ran the close handler before it
    // answered the client's close frame).
    await a1.close();
    const again = await TestClient.connect(limited.chat('acme'));
    await Promise.all([a2.close(), b1.close(), again.close()]);
    await limited.gateway.close();
  });
});

/** A ticket with one byte of its signature, or of its claims, changed. */
function tampered(token: string, part: 'signature' | 'claims'): string {
  const [claims = '', signature = ''] = token.split('.');
  const flip = (encoded: string): string => {
    const bytes = Buffer.from(encoded, 'base64url');
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01;
    return bytes.toString('base64url');
  };
  return part === 'signature' ? `${claims}.${flip(signature)}` : `${flip(claims)}.${signature}`;
}

/** A steerable wall clock for a gateway (ticket expiry, connection-rate buckets). */
function manualClock(startMs = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms) => (nowMs += ms) };
}

const DETAIL_MISSING = '{"detail":"Authentication credentials were not provided."}';
const DETAIL_INVALID = '{"detail":"Invalid or expired ticket."}';
const DETAIL_OTHER_ORGANIZATION = '{"detail":"This ticket is for another organization."}';

describe('socket tickets', () => {
  it('refuses a socket without a ticket with 401 before the upgrade', async () => {
    for (const url of [
      served.ws(`${chatSocketPath('acme')}`),
      served.ws(`${chatSocketPath('acme')}?token=`),
      served.ws(`${CHAT_SOCKET_PATH_PREFIX}acme?x=1`),
    ]) {
      const refusal = await refusedUpgrade(url);
      expect(refusal).toMatchObject({ status: 401, contentType: 'application/json', body: DETAIL_MISSING });
      expect(refusal.headers['www-authenticate']).toBe('Ticket realm="helpdesk-chat"');
    }
    // Offering only the marker protocol is no ticket either.
    expect(await refusedUpgrade(served.ws(`${chatSocketPath('acme')}`), [TICKET_PROTOCOL])).toMatchObject({
      status: 401,
      body: DETAIL_MISSING,
    });
  });

  it('refuses an expired ticket with 401', async () => {
    const expired = ticketFor('acme', { ttlSeconds: -1 });
    expect(await refusedUpgrade(served.chat('acme', { token: expired }))).toMatchObject({
      status: 401,
      contentType: 'application/json',
      body: DETAIL_INVALID,
    });
    expect(await refusedUpgrade(served.ws(`${chatSocketPath('acme')}`), [TICKET_PROTOCOL, expired])).toMatchObject({
      status: 401,
      body: DETAIL_INVALID,
    });
  });

  it('accepts a ticket until it expires by the clock of the gateway', async () => {
    const clock = manualClock();
    const timed = await startTestGateway(redisBus, {}, { now: clock.now });
    const token = ticketFor('acme', { ttlSeconds: 60, nowMs: clock.now() });
    clock.advance(59_000);
    const client = await TestClient.connect(timed.chat('acme', { token }));
    clock.advance(1_000);
    expect(await refusedUpgrade(timed.chat('acme', { token }))).toMatchObject({ status: 401, body: DETAIL_INVALID });
    await client.close();
    await timed.gateway.close();
  });

  it('refuses a ticket whose signature or claims were changed, or that another secret signed, with 401', async () => {
    const token = ticketFor('acme');
    for (const forged of [
      tampered(token, 'signature'),
      tampered(token, 'claims'),
      ticketFor('acme', { secret: 'another-secret-of-at-least-32-characters' }),
      'not-a-ticket',
      `${token}.extra`,
    ]) {
      expect(await refusedUpgrade(served.chat('acme', { token: forged }))).toMatchObject({
        status: 401,
        contentType: 'application/json',
        body: DETAIL_INVALID,
      });
    }
  });

  it("refuses another organization's ticket with 403", async () => {
    const refusal = await refusedUpgrade(served.chat('acme', { token: ticketFor('globex') }));
    expect(refusal).toMatchObject({ status: 403, contentType: 'application/json', body: DETAIL_OTHER_ORGANIZATION });
    expect(refusal.headers['www-authenticate']).toBeUndefined();
    expect(
      await refusedUpgrade(served.ws(`${chatSocketPath('acme')}`), [TICKET_PROTOCOL, ticketFor('globex')]),
    ).toMatchObject({
      status: 403,
      body: DETAIL_OTHER_ORGANIZATION,
    });
  });

  it("closes the sockets of a revoked key's tickets with 4001, refuses its tickets, and keeps the others", async () => {
    const [revokedKey, otherKey] = [randomUUID(), randomUUID()];
    const revokedTicket = ticketFor('keyholder', { keyId: revokedKey });
    const revokedSockets = await Promise.all([
      TestClient.connect(served.chat('keyholder', { token: revokedTicket })),
      TestClient.connect(served.chat('keyholder2', { token: ticketFor('keyholder2', { keyId: revokedKey }) })),
    ]);
    const kept = await Promise.all([
      TestClient.connect(served.chat('keyholder', { token: ticketFor('keyholder', { keyId: otherKey }) })),
      TestClient.connect(served.chat('keyholder')), // a ticket that names no key
    ]);
    await publisher.publish(keyRevocationsChannel(served.config.redisPrefix), encodeKeyRevoked(revokedKey));
    for (const client of revokedSockets) {
      expect(await client.closed).toEqual({ code: CLOSE_CODES.keyRevoked, reason: 'API key revoked' });
    }
    // Unexpired, and seen before (remembered as verified): refused all the same.
    expect(await refusedUpgrade(served.chat('keyholder', { token: revokedTicket }))).toMatchObject({
      status: 401,
      body: DETAIL_INVALID,
    });
    const frame = sampleEnvelope('still here');
    await publisher.publish(channelOf(served, 'keyholder'), frame);
    for (const client of kept) expect((await client.waitForFrames(1))[0]?.data.toString()).toBe(frame);
    await Promise.all(kept.map((client) => client.close()));
  });

  it('opens with a valid ticket in the query, selecting no protocol', async () => {
    const client = await TestClient.connect(served.chat('acme'));
    expect(client.socket.protocol).toBe('');
    await client.close();
  });

  it("opens with a browser's ['helpdesk-ticket', ticket] and selects helpdesk-ticket", async () => {
    const client = await TestClient.connect(served.ws(`${chatSocketPath('browser')}`), [
      TICKET_PROTOCOL,
      ticketFor('browser'),
    ]);
    expect(client.socket.protocol).toBe(TICKET_PROTOCOL);
    const envelope = sampleEnvelope('via subprotocol');
    await publisher.publish(channelOf(served, 'browser'), envelope);
    expect((await client.waitForFrames(1)).map((frame) => frame.data.toString())).toEqual([envelope]);
    await client.close();
  });

  it('opens with the ticket alone as the protocol and selects it', async () => {
    const token = ticketFor('acme');
    const client = await TestClient.connect(served.ws(`${CHAT_SOCKET_PATH_PREFIX}acme`), [token]);
    expect(client.socket.protocol).toBe(token);
    await client.close();
  });

  it('takes no slot and subscribes to nothing for a refused socket', async () => {
    const gateway = await startTestGateway(redisBus);
    const channel = channelOf(gateway, 'hooli');
    const refusals = await Promise.all([
      refusedUpgrade(gateway.ws(`${chatSocketPath('hooli')}`)),
      refusedUpgrade(gateway.chat('hooli', { token: ticketFor('hooli', { ttlSeconds: -5 }) })),
      refusedUpgrade(gateway.chat('hooli', { token: tampered(ticketFor('hooli'), 'signature') })),
      refusedUpgrade(gateway.chat('hooli', { token: ticketFor('acme') })),
    ]);
    expect(refusals.map((refusal) => refusal.status)).toEqual([401, 401, 401, 403]);
    expect(await subscribedChannels(gateway)).toEqual([]);
    expect(await observer.pubsub('NUMSUB', channel)).toEqual([channel, 0]);
    expect(gateway.gateway.stats()).toMatchObject({
      opened: 0,
      slots: 0,
      subscribedChannels: 0,
      refused: { ticketMissing: 1, ticketExpired: 1, ticketInvalid: 1, ticketOtherOrganization: 1 },
    });

    // The same organization with a valid ticket does subscribe: the refusals were not a fluke.
    const client = await TestClient.connect(gateway.chat('hooli'));
    await waitFor(async () => (await subscribedChannels(gateway)).includes(channel), 'the SUBSCRIBE');
    expect(await subscribedChannels(gateway)).toEqual([channel]);
    await client.close();
    await gateway.gateway.close();
  });
});

describe('connection rate per client address', () => {
  const RATE_DETAIL = '{"detail":"Too many connection attempts; retry later."}';

  it('refuses upgrades over the burst with 429 and Retry-After, before the ticket, and recovers', async () => {
    const clock = manualClock();
    const limited = await startTestGateway(redisBus, { connectRatePerIp: 2, connectBurstPerIp: 3 }, { now: clock.now });
    const chat = (organization: string): string =>
      limited.chat(organization, { token: ticketFor(organization, { nowMs: clock.now() }) });
    // The burst: three attempts, whatever they come to.
    const first = await TestClient.connect(chat('acme'));
    expect((await refusedUpgrade(limited.ws(`${chatSocketPath('acme')}`))).status).toBe(401);
    const second = await TestClient.connect(chat('globex'));

    const limitedOut = await refusedUpgrade(chat('acme'));
    expect(limitedOut).toMatchObject({ status: 429, contentType: 'application/json', body: RATE_DETAIL });
    expect(limitedOut.headers['retry-after']).toBe('1');
    // Checked before anything else: no ticket and a bad path are 429 too, not 401 or 404.
    expect((await refusedUpgrade(limited.ws(`${chatSocketPath('acme')}`))).status).toBe(429);
    expect((await refusedUpgrade(limited.ws(`${CHAT_SOCKET_PATH_PREFIX}bad.name/`))).status).toBe(429);

    // Refused attempts cost nothing: half a second buys one token at 2 per second.
    clock.advance(499);
    expect((await refusedUpgrade(chat('acme'))).status).toBe(429);
    clock.advance(1);
    const third = await TestClient.connect(chat('acme'));
    expect((await refusedUpgrade(chat('acme'))).status).toBe(429);
    expect(limited.gateway.stats()).toMatchObject({ refused: { rateLimited: 5, ticketMissing: 1 }, open: 3 });

    await Promise.all([first.close(), second.close(), third.close()]);
    await limited.gateway.close();
  });

  it('believes X-Forwarded-For only from as many proxies as WS_TRUST_PROXY says', async () => {
    const limits = { connectRatePerIp: 1, connectBurstPerIp: 1 };
    const forwarded = (header: string) => ({ headers: { 'X-Forwarded-For': header } });

    // Not behind a proxy: every header is the client's own claim; all share the peer's bucket.
    const direct = await startTestGateway(redisBus, limits);
    expect((await refusedUpgrade(direct.ws(`${chatSocketPath('acme')}`), [], forwarded('203.0.113.1'))).status).toBe(
      401,
    );
    expect((await refusedUpgrade(direct.ws(`${chatSocketPath('acme')}`), [], forwarded('203.0.113.2'))).status).toBe(
      429,
    );
    await direct.gateway.close();

    // Behind one proxy (the test plays it): the last entry is what it saw. What the client wrote
    // in front of that does not give it a new budget.
    const proxied = await startTestGateway(redisBus, { ...limits, trustedProxies: 1 });
    const url = proxied.ws(`${chatSocketPath('acme')}`);
    expect((await refusedUpgrade(url, [], forwarded('203.0.113.1'))).status).toBe(401);
    expect((await refusedUpgrade(url, [], forwarded('198.51.100.9, 203.0.113.1'))).status).toBe(429);
    expect((await refusedUpgrade(url, [], forwarded('203.0.113.2'))).status).toBe(401);
    // IPv6 clients are limited per /64.
    expect((await refusedUpgrade(url, [], forwarded('2001:db8:1:2::1'))).status).toBe(401);
    expect((await refusedUpgrade(url, [], forwarded('2001:db8:1:2::ffff'))).status).toBe(429);
    await proxied.gateway.close();
  });
});

describe('health and drain', () => {
  it('answers /healthz and /readyz, and on close() fails readiness, closes sockets with 1012 and unsubscribes', async () => {
    const draining = await startTestGateway(redisBus);
    const healthz = await fetch(draining.http('/healthz'));
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(draining.http('/readyz'));
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok' }]);
    expect(draining.gateway.notReadyBecause()).toBeUndefined();

    const clients = await Promise.all([
      TestClient.connect(draining.chat('acme')),
      TestClient.connect(draining.chat('acme')),
      TestClient.connect(draining.chat('globex')),
    ]);
    await waitFor(async () => (await subscribedChannels(draining)).length === 2, 'both SUBSCRIBEs');

    // Readiness turns 503 at once, before close() has finished: ask on a connection opened before.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const warm = await fetchWith(keepAlive, draining.http('/readyz'));
    expect(warm.status).toBe(200);
    const closing = draining.gateway.close();
    const whileDraining = await fetchWith(keepAlive, draining.http('/readyz'));
    expect([whileDraining.status, JSON.parse(whileDraining.body)]).toEqual([503, { status: 'draining' }]);
    expect(draining.gateway.notReadyBecause()).toBe('draining');

    for (const client of clients) {
      expect(await client.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    }
    await closing;
    keepAlive.destroy();
    expect(await subscribedChannels(draining)).toEqual([]);
    expect(await observer.pubsub('CHANNELS', `${draining.config.redisPrefix}*`)).toEqual([]);
    await expect(fetch(draining.http('/healthz'))).rejects.toThrow();
  });
});

describe('slow consumers', () => {
  it('closes a socket that stopped reading with 4008 while a reading socket gets every frame', async () => {
    // Its close frame waits until it reads again, however long this machine takes to publish.
    const guarded = await startTestGateway(redisBus, { maxBackpressureBytes: 64 * 1024, closeTimeoutMs: 60_000 });
    const slow = await TestClient.connect(guarded.chat('acme'));
    const fast = await TestClient.connect(guarded.chat('acme'));
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
