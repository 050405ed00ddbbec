import { setTimeout as sleep } from 'node:timers/promises';
import {
  encodeResync,
  envelopeId,
  historyKey,
  InProcessBus,
  organizationChannel,
  RedisBus,
  type EventBus,
  type EventHistory,
  type EventPublisher,
  type HistoryRead,
  CLOSE_CODES,
  CHAT_SOCKET_PATH_PREFIX,
  chatSocketPath,
  LAST_EVENT_ID_PARAM,
  TICKET_PROTOCOL,
} from '@helpdesk/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../../test/test-env.js';
import type { GatewayConfig } from '../src/config.js';
import {
  envelopeWithId,
  HeldHistory,
  refusedUpgrade,
  sampleEnvelope,
  startTestGateway,
  TestClient,
  ticketFor,
  waitFor,
  withHistory,
  type TestGateway,
} from './helpers.js';

// Reconnect with replay (issue 4, item 2), on the native uWS gateway, against both buses: the
// in-process one of embedded mode and a real Redis. Events are published as the api's relay
// does (publishSequenced, envelopes with ids); every assertion is on the exact frames a socket
// got, in order, up to an id-less marker published last, so nothing can hide after the end.

interface BusCase {
  name: string;
  /** A bus keeping at most `maxEvents` per organization. */
  make: (maxEvents?: number) => EventBus;
  /** Whether the bus delivers the channel's messages to a subscriber (a gateway) yet. */
  subscribed: ChannelSubscribed;
}

type ChannelSubscribed = (channel: string) => Promise<boolean>;

/** Asks Redis itself how many subscribers a channel has. */
let observer: Redis | undefined;

const buses: EventBus[] = [];
const busCases: BusCase[] = [
  {
    name: 'in-process bus',
    make: (maxEvents = 1000) => remember(new InProcessBus({ maxEvents, maxAgeMs: 3_600_000 })),
    // Subscribing in one process takes effect at once.
    subscribed: () => Promise.resolve(true),
  },
  {
    name: 'redis bus',
    make: (maxEvents = 1000) =>
      remember(
        new RedisBus({
          url: testEnv().redisUrl,
          connectionName: 'helpdesk-gateway-replay-test',
          history: { maxEvents, maxAgeMs: 3_600_000 },
        }),
      ),
    subscribed: async (channel) => {
      observer ??= new Redis(testEnv().redisUrl);
      const [, count] = (await observer.pubsub('NUMSUB', channel)) as [string, number];
      return count > 0;
    },
  },
];

function remember(bus: EventBus): EventBus {
  buses.push(bus);
  return bus;
}

afterAll(async () => {
  observer?.disconnect();
  await Promise.all(buses.map((bus) => bus.close()));
});

let organizationCounter = 0;

/** An organization of its own for each test, with its events published as the relay would. */
class Organization {
  readonly name: string;
  readonly channel: string;
  private readonly payloads = new Map<number, string>();

  constructor(
    private readonly gateway: TestGateway,
    private readonly publisher: EventPublisher,
    private readonly subscribed: ChannelSubscribed,
  ) {
    organizationCounter += 1;
    this.name = `replay-${organizationCounter}`;
    this.channel = organizationChannel(gateway.config.redisPrefix, this.name);
  }

  /** The envelope of event `id` (the same bytes each time it is asked for). */
  payload(id: number): string {
    let payload = this.payloads.get(id);
    if (payload === undefined) this.payloads.set(id, (payload = envelopeWithId(id)));
    return payload;
  }

  payloadsOf(from: number, to: number): string[] {
    return range(from, to).map((id) => this.payload(id));
  }

  /** Publishes events `from`..`to` in one relay batch (history, then live, in order). */
  publish(from: number, to = from): Promise<void> {
    return this.publisher.publishSequenced(
      range(from, to).map((id) => ({ channel: this.channel, id, payload: this.payload(id) })),
    );
  }

  connect(lastEventId?: number): Promise<TestClient> {
    return TestClient.connect(this.gateway.chat(this.name, { lastEventId }));
  }

  /**
   * Publishes an id-less marker and waits until each client got it; returns what each got
   * before it, as text. Every frame of each client must be text.
   */
  async framesBeforeMarker(...clients: TestClient[]): Promise<string[][]> {
    const marker = sampleEnvelope(`marker of ${this.name}`);
    // An id-less event is only delivered live: published before the gateway's SUBSCRIBE took
    // effect (an organization's first socket opens before it does), it would never arrive.
    await waitFor(() => this.subscribed(this.channel), "the gateway's subscription");
    await this.publisher.publish(this.channel, marker);
    return Promise.all(
      clients.map(async (client) => {
        await waitFor(() => client.frames.some((frame) => frame.data.toString() === marker), `the marker`);
        expect(client.frames.every((frame) => !frame.isBinary)).toBe(true);
        const texts = client.frames.map((frame) => frame.data.toString());
        client.frames.length = 0;
        return texts.slice(0, texts.indexOf(marker));
      }),
    );
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

describe.each(busCases)('replay on the $name', ({ make, subscribed }) => {
  let bus: EventBus;
  let publisher: EventPublisher;
  let served: TestGateway;
  const started: TestGateway[] = [];

  beforeAll(async () => {
    bus = make();
    publisher = bus.publisher();
    served = await gateway();
  });

  afterAll(async () => {
    await Promise.all(started.map((g) => g.gateway.close()));
  });

  async function gateway(overrides: Partial<GatewayConfig> = {}, over: EventBus = bus): Promise<TestGateway> {
    const g = await startTestGateway(over, overrides);
    started.push(g);
    return g;
  }

  it('sends a reconnecting socket exactly the events it missed, in order, then live ones', async () => {
    const org = new Organization(served, publisher, subscribed);
    const first = await org.connect();
    await org.publish(1, 2);
    expect(await org.framesBeforeMarker(first)).toEqual([org.payloadsOf(1, 2)]);
    await first.close();

    await org.publish(3, 7);
    const again = await org.connect(2);
    await org.publish(8, 9);
    expect(await org.framesBeforeMarker(again)).toEqual([org.payloadsOf(3, 9)]);
    await org.publish(10);
    expect(await org.framesBeforeMarker(again)).toEqual([org.payloadsOf(10, 10)]);
    await again.close();
    expect(served.gateway.stats()).toMatchObject({ replayingSockets: 0 });
  });

  it('replays to a browser that presents its ticket as a subprotocol', async () => {
    const org = new Organization(served, publisher, subscribed);
    await org.publish(1, 3);
    const client = await TestClient.connect(
      served.ws(`${CHAT_SOCKET_PATH_PREFIX}${org.name}?${LAST_EVENT_ID_PARAM}=1`),
      [TICKET_PROTOCOL, ticketFor(org.name)],
    );
    expect(client.socket.protocol).toBe(TICKET_PROTOCOL);
    expect(await org.framesBeforeMarker(client)).toEqual([org.payloadsOf(2, 3)]);
    await client.close();
  });

  it('replays everything kept to last_event_id=0', async () => {
    const org = new Organization(served, publisher, subscribed);
    await org.publish(1, 4);
    const client = await org.connect(0);
    expect(await org.framesBeforeMarker(client)).toEqual([org.payloadsOf(1, 4)]);
    await client.close();
  });

  it('sends nothing but live events when last_event_id is the latest', async () => {
    const org = new Organization(served, publisher, subscribed);
    await org.publish(1, 5);
    const client = await org.connect(5);
    await org.publish(6);
    expect(await org.framesBeforeMarker(client)).toEqual([org.payloadsOf(6, 6)]);
    await client.close();
  });

  it.each([
    ['answers before', true],
    ['answers after', false],
  ])(
    'delivers live events published while the history read is held (read %s they are published) once, after the replayed ones',
    async (_when, readFirst) => {
      const held = new HeldHistory(bus.history(), { readFirst, afterId: 2 });
      const g = await gateway({}, withHistory(bus, held));
      const org = new Organization(g, publisher, subscribed);
      const watcher = await org.connect();
      await org.publish(1, 5);

      const client = await org.connect(2);
      await waitFor(() => held.reads.length === 1 && held.answered === (readFirst ? 1 : 0), 'the history read');
      await org.publish(6, 8);
      // The watcher got 6..8, so the gateway has handled them while the reconnecting socket replays.
      await waitFor(() => watcher.frames.length === 8, 'live events at the watcher');
      expect(client.frames).toEqual([]);
      held.release();
      await waitFor(() => client.frames.length === 6, 'the replay');
      await org.publish(9, 10);

      const [replayed, watched] = await org.framesBeforeMarker(client, watcher);
      expect(replayed).toEqual(org.payloadsOf(3, 10));
      expect(watched).toEqual(org.payloadsOf(1, 10));
      await Promise.all([client.close(), watcher.close()]);
    },
  );

  it('sends an event the history returned before its live copy arrived only once', async () => {
    // The read and the subscription are separate connections: the history may already hold an
    // event the gateway has not received live yet. Played here by a history one event ahead.
    const org = { current: undefined as Organization | undefined };
    const ahead: EventHistory = {
      since: async (channel, afterId, limit): Promise<HistoryRead> => {
        const read = await bus.history().since(channel, afterId, limit);
        const next = (read.events.at(-1)?.id ?? afterId) + 1;
        return { ...read, events: [...read.events, { id: next, payload: org.current!.payload(next) }] };
      },
      latestId: (channel) => bus.history().latestId(channel),
    };
    const g = await gateway({}, withHistory(bus, ahead));
    org.current = new Organization(g, publisher, subscribed);
    const watcher = await org.current.connect();
    await org.current.publish(1, 3);

    const client = await org.current.connect(1);
    await waitFor(() => client.frames.length === 3, 'the replay of 2, 3 and the early 4');
    expect(g.gateway.stats()).toMatchObject({ replayingSockets: 1 });
    await org.current.publish(4, 5);

    const [replayed, watched] = await org.current.framesBeforeMarker(client, watcher);
    expect(replayed).toEqual(org.current.payloadsOf(2, 5));
    expect(watched).toEqual(org.current.payloadsOf(1, 5));
    expect(g.gateway.stats()).toMatchObject({ replayingSockets: 0 });
    await Promise.all([client.close(), watcher.close()]);
  });

  it('sends a resync first, then live events, when the id is older than the kept history', async () => {
    // Redis trims a stream by whole nodes (MAXLEN ~), so enough events for a real trim.
    const small = make(3);
    const g = await gateway({}, small);
    const org = new Organization(g, small.publisher(), subscribed);
    await org.publish(1, 300);
    const client = await org.connect(1);
    await org.publish(301);
    expect(await org.framesBeforeMarker(client)).toEqual([[encodeResync(1), org.payload(301)]]);
    expect(g.gateway.stats()).toMatchObject({ replays: { resyncs: { notKept: 1 } } });
    await client.close();
  });

  it('sends a resync for an id the history never had, and for one past its latest', async () => {
    const org = new Organization(served, publisher, subscribed);
    const unknown = await org.connect(4);
    await org.publish(1, 2);
    const ahead = await org.connect(7);
    await org.publish(3);
    const [ofUnknown, ofAhead] = await org.framesBeforeMarker(unknown, ahead);
    expect(ofUnknown).toEqual([encodeResync(4), ...org.payloadsOf(1, 3)]);
    expect(ofAhead).toEqual([encodeResync(7), org.payload(3)]);
    await Promise.all([unknown.close(), ahead.close()]);
  });

  it('sends a resync when more were missed than WS_REPLAY_MAX_EVENTS, and replays up to it', async () => {
    const g = await gateway({ replayMaxEvents: 3 });
    const org = new Organization(g, publisher, subscribed);
    await org.publish(1, 10);
    const tooFar = await org.connect(6);
    const justEnough = await org.connect(7);
    await org.publish(11);
    const [ofTooFar, ofJustEnough] = await org.framesBeforeMarker(tooFar, justEnough);
    expect(ofTooFar).toEqual([encodeResync(6), org.payload(11)]);
    expect(ofJustEnough).toEqual(org.payloadsOf(8, 11));
    await Promise.all([tooFar.close(), justEnough.close()]);
  });

  it('forwards an event published twice on the bus once, and id-less envelopes unchanged', async () => {
    const org = new Organization(served, publisher, subscribed);
    const live = await org.connect();
    const before = served.gateway.stats() as { duplicatesDropped: number };
    await org.publish(1, 2);
    // The relay re-publishing after a failure: 2 again (it stays once in the history), then 3.
    await org.publish(2, 3);
    await org.publish(1);
    const idless = sampleEnvelope('from an older publisher');
    await publisher.publish(org.channel, idless);
    await org.publish(4);
    expect(await org.framesBeforeMarker(live)).toEqual([[...org.payloadsOf(1, 3), idless, org.payload(4)]]);

    const replayed = await org.connect(1);
    await org.publish(3, 5);
    expect(await org.framesBeforeMarker(replayed, live)).toEqual([org.payloadsOf(2, 5), org.payloadsOf(5, 5)]);
    // 2, 1, then 3 and 4 again.
    expect(served.gateway.stats()).toMatchObject({ duplicatesDropped: before.duplicatesDropped + 4 });
    await Promise.all([live.close(), replayed.close()]);
  });

  it('refuses a malformed last_event_id with 400 before the upgrade, taking no slot and no subscription', async () => {
    const g = await gateway();
    for (const lastEventId of ['', 'abc', '-1', '1.5', '1e3', '0x1', '99999999999999999999']) {
      const refusal = await refusedUpgrade(g.chat('acme', { lastEventId }));
      expect(refusal).toMatchObject({
        status: 400,
        contentType: 'application/json',
        body: '{"detail":"last_event_id must be a whole number."}',
      });
    }
    // Without a value, which uWS alone would read as absent.
    expect(
      await refusedUpgrade(g.ws(`${chatSocketPath('acme')}?token=${ticketFor('acme')}&${LAST_EVENT_ID_PARAM}`)),
    ).toMatchObject({
      status: 400,
    });
    // The ticket is checked first.
    expect(await refusedUpgrade(g.chat('acme', { token: 'forged', lastEventId: 'x' }))).toMatchObject({ status: 401 });
    expect(g.gateway.stats()).toMatchObject({
      opened: 0,
      slots: 0,
      subscribedChannels: 0,
      refused: { badLastEventId: 8, ticketInvalid: 1 },
    });
  });

  it('sends a resync, then live events, when the history read times out', async () => {
    const held = new HeldHistory(bus.history(), { readFirst: false, afterId: 1 });
    const g = await gateway({ replayTimeoutMs: 150 }, withHistory(bus, held));
    const org = new Organization(g, publisher, subscribed);
    await org.publish(1, 3);
    const client = await org.connect(1);
    await org.publish(4);
    await waitFor(() => client.frames.length === 2, 'the resync and the buffered live event');
    await org.publish(5);
    expect(await org.framesBeforeMarker(client)).toEqual([[encodeResync(1), ...org.payloadsOf(4, 5)]]);
    expect(g.gateway.stats()).toMatchObject({ replays: { started: 1, events: 0, resyncs: { unavailable: 1 } } });
    held.release();
    await client.close();
  });

  it('sends a resync, then live events, when the history read fails', async () => {
    const failure = () => Promise.reject(new Error('READONLY You cannot read'));
    const failing: EventHistory = { since: failure, latestId: failure };
    const g = await gateway({}, withHistory(bus, failing));
    const org = new Organization(g, publisher, subscribed);
    await org.publish(1, 3);
    const client = await org.connect(1);
    await org.publish(4);
    expect(await org.framesBeforeMarker(client)).toEqual([[encodeResync(1), org.payload(4)]]);
    await client.close();
  });

  it('gives each of many sockets reconnecting at once its own exact replay', async () => {
    const org = new Organization(served, publisher, subscribed);
    await org.publish(1, 40);
    // Different last ids, and many with the same one (their reads are shared), while live
    // events keep coming.
    const lastIds = [...range(0, 39), ...Array.from<number>({ length: 20 }).fill(30)];
    const connecting = lastIds.map((id) => org.connect(id));
    await org.publish(41, 42);
    const clients = await Promise.all(connecting);
    await org.publish(43, 45);
    const received = await org.framesBeforeMarker(...clients);
    received.forEach((frames, i) => expect(frames).toEqual(org.payloadsOf(lastIds[i]! + 1, 45)));
    await Promise.all(clients.map((client) => client.close()));
  });

  it('paces a long replay by drain instead of closing the socket as a slow consumer', async () => {
    const g = await gateway({ maxBackpressureBytes: 64 * 1024, replayMaxEvents: 2000 });
    const org = new Organization(g, publisher, subscribed);
    // ~12 MB of history (more than loopback's kernel buffers hold) against a 64 KiB limit, read
    // by a client that stalls for a while.
    const big = (id: number): string => envelopeWithId(id, `${id} `.padEnd(12 * 1024, 'x'));
    const events = range(1, 1000).map((id) => ({ channel: org.channel, id, payload: big(id) }));
    for (let i = 0; i < events.length; i += 100) await publisher.publishSequenced(events.slice(i, i + 100));

    const client = await org.connect(0);
    client.socket.pause();
    await sleep(200);
    const last = { channel: org.channel, id: 1001, payload: big(1001) };
    await publisher.publishSequenced([last]);
    client.socket.resume();
    const [frames = []] = await org.framesBeforeMarker(client);
    // Ids first, for a readable failure; then the bytes.
    expect(frames.map((frame) => envelopeId(frame))).toEqual(range(1, 1001));
    expect(frames).toEqual([...events, last].map((e) => e.payload));
    expect(g.gateway.stats()).toMatchObject({ slowConsumers: 0, replays: { events: 1000 } });
    await client.close();
  });

  it('closes a socket with 4008 when more live events arrive during its replay than WS_REPLAY_BUFFER_BYTES', async () => {
    const held = new HeldHistory(bus.history(), { readFirst: true, afterId: 1 });
    const g = await gateway({ replayBufferBytes: 4096 }, withHistory(bus, held));
    const org = new Organization(g, publisher, subscribed);
    const watcher = await org.connect();
    await org.publish(1, 2);
    // The organization's first socket got them: its topic holds nothing back any more (the
    // catch-up of a first socket holds live events until it knows what the bus missed).
    await waitFor(() => watcher.frames.length === 2, '1 and 2 at the watcher');
    const client = await org.connect(1);
    await waitFor(() => held.answered === 1, 'the history read');
    // Each envelope is ~400 bytes: 20 of them are over 4 KiB.
    await org.publish(3, 22);
    expect(await client.closed).toEqual({ code: CLOSE_CODES.slowConsumer, reason: 'Slow consumer' });
    expect(client.frames).toEqual([]);
    held.release();
    expect(await org.framesBeforeMarker(watcher)).toEqual([org.payloadsOf(1, 22)]);
    expect(g.gateway.stats()).toMatchObject({ slowConsumers: 1, open: 1, replayingSockets: 0 });
    await watcher.close();
  });

  it('forgets a socket that leaves during its replay, and closes replaying sockets on drain with 1012', async () => {
    const held = new HeldHistory(bus.history(), { readFirst: true, afterId: 1 });
    const g = await startTestGateway(withHistory(bus, held));
    const org = new Organization(g, publisher, subscribed);
    await org.publish(1, 3);
    const leaving = await org.connect(1);
    const staying = await org.connect(1);
    await waitFor(() => held.answered >= 1, 'the history read');
    await leaving.close();
    await waitFor(() => g.gateway.stats()['replayingSockets'] === 1, 'the leaving socket forgotten');
    held.release();
    await waitFor(() => staying.frames.length === 2, 'the replay');
    await org.publish(4);
    expect(await org.framesBeforeMarker(staying)).toEqual([org.payloadsOf(2, 4)]);

    const stalled = new HeldHistory(bus.history(), { readFirst: false, afterId: 1 });
    const draining = await startTestGateway(withHistory(bus, stalled));
    const replaying = await TestClient.connect(draining.chat(org.name, { lastEventId: 1 }));
    await draining.gateway.close();
    expect(await replaying.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    stalled.release();
    await staying.close();
    await g.gateway.close();
  });
});

describe('replay against a Redis that fails the read', () => {
  it('sends a resync, then live events, when Redis answers the history read with an error', async () => {
    const { redisUrl } = testEnv();
    const bus = remember(new RedisBus({ url: redisUrl, connectionName: 'helpdesk-gateway-replay-test' }));
    const redis = new Redis(redisUrl);
    const g = await startTestGateway(bus);
    const channel = organizationChannel(g.config.redisPrefix, 'wrongtype');
    // XRANGE on a key that is not a stream: Redis answers WRONGTYPE.
    await redis.set(historyKey(channel), 'not a stream');
    const client = await TestClient.connect(g.chat('wrongtype', { lastEventId: 3 }));
    const live = envelopeWithId(4);
    await bus.publisher().publish(channel, live);
    await waitFor(() => client.frames.length === 2, 'the resync and the live event');
    expect(client.frames.map((frame) => frame.data.toString())).toEqual([encodeResync(3), live]);
    expect(g.gateway.stats()).toMatchObject({ replays: { resyncs: { unavailable: 1 } } });
    await client.close();
    await g.gateway.close();
    await redis.del(historyKey(channel));
    redis.disconnect();
  });
});
