import { encodeResync, type BusPayload, type EventHistory, type HistoryRead } from '@helpdesk/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  emptyGapFillStats,
  emptyReplayStats,
  GAP_FILL_ATTEMPTS,
  TopicFeed,
  type FeedSocket,
  type Replay,
  type ReplayCloseReason,
} from './topic-feed.js';

// The feed's seams, played step by step with fake sockets and a history whose answers the test
// hands over: what the bus delivers while a read is in flight, while frames wait for drain, and
// after everything was sent. The gateway tests run the same against native uWS and real buses.

const TOPIC = 'org:acme';
const event = (id: number): string => `{"type":"new_message","data":"m${id}","id":${id}}`;
const idless = (text: string): string => `{"type":"new_message","data":"${text}"}`;
const entries = (...ids: number[]) => ids.map((id) => ({ id, payload: event(id) }));

class FakeSocket implements FeedSocket {
  readonly received: string[] = [];
  readonly topics = new Set<string>();
  /** Bytes uWS would hold; grows with each send while `stalled`. */
  buffered = 0;
  stalled = false;
  /** send() answers 2 (dropped) from this many sends on. */
  dropAfter = Infinity;
  replay: Replay<FakeSocket> | undefined;
  closed: ReplayCloseReason | 'client' | undefined;

  send(message: BusPayload): number {
    if (this.closed) throw new Error('touched after close');
    if (this.received.length >= this.dropAfter) return 2;
    this.received.push(message.toString());
    if (this.stalled) this.buffered += message.length;
    return this.stalled ? 0 : 1;
  }

  getBufferedAmount(): number {
    return this.buffered;
  }

  subscribe(topic: string): boolean {
    if (this.closed) throw new Error('touched after close');
    this.topics.add(topic);
    return true;
  }

  cork(callback: () => void): this {
    if (this.closed) throw new Error('touched after close');
    callback();
    return this;
  }
}

/** A history whose reads wait until the test answers them. */
class HandHistory implements EventHistory {
  readonly asked: Array<{ afterId: number; answer: (read: HistoryRead) => void }> = [];

  since(_channel: string, afterId: number): Promise<HistoryRead> {
    return new Promise((resolve) => this.asked.push({ afterId, answer: resolve }));
  }

  /** What latestId() answers. */
  latest: number | undefined = undefined;

  latestId(): Promise<number | undefined> {
    return Promise.resolve(this.latest);
  }

  /** Answers the oldest read and lets the feed act on it. */
  async answer(read: HistoryRead): Promise<void> {
    const next = this.asked.shift();
    if (!next) throw new Error('no read in flight');
    next.answer(read);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The bus's answers to the SUBSCRIBE a gap fill sends again, handed over by the test. */
class HandConfirmations {
  readonly asked: Array<{ topic: string; settle: (held: boolean | Error) => void }> = [];

  confirm = (topic: string): Promise<boolean> =>
    new Promise((resolve, reject) => {
      this.asked.push({ topic, settle: (held) => (held instanceof Error ? reject(held) : resolve(held)) });
    });

  /** Answers the oldest SUBSCRIBE and lets the feed act on it. */
  async answer(held: boolean | Error = true): Promise<void> {
    const next = this.asked.shift();
    if (!next) throw new Error('no SUBSCRIBE in flight');
    next.settle(held);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setup(options: { bufferBytes?: number; sendBelow?: number } = {}) {
  const history = new HandHistory();
  const confirmations = new HandConfirmations();
  const sockets: FakeSocket[] = [];
  const stats = emptyReplayStats();
  const gapStats = emptyGapFillStats();
  const counts = { duplicates: 0 };
  const feed: TopicFeed<FakeSocket> = new TopicFeed<FakeSocket>({
    history,
    maxEvents: 100,
    timeoutMs: 5000,
    bufferBytes: options.bufferBytes ?? 100_000,
    sendBelowBufferedBytes: options.sendBelow ?? 100_000,
    // app.publish: every socket subscribed to the topic at that moment gets the payload.
    publish: (topic, payload) => {
      for (const socket of sockets) if (!socket.closed && socket.topics.has(topic)) socket.send(payload);
    },
    hosts: (topic) => topic === TOPIC && sockets.some((socket) => !socket.closed),
    confirmSubscribed: confirmations.confirm,
    close: (socket, reason) => {
      socket.closed = reason;
      if (socket.replay) feed.left(socket.replay);
    },
    stats,
    gapStats,
    onDuplicate: () => {
      counts.duplicates += 1;
    },
    logger: pino({ level: 'silent' }),
  });
  /** A socket that opened without last_event_id. */
  const live = (): FakeSocket => {
    const socket = new FakeSocket();
    sockets.push(socket);
    socket.subscribe(TOPIC);
    return socket;
  };
  /** A socket that opened with last_event_id. */
  const replaying = (lastEventId: number): FakeSocket => {
    const socket = new FakeSocket();
    sockets.push(socket);
    socket.replay = feed.replay(socket, TOPIC, lastEventId);
    return socket;
  };
  const deliver = (...payloads: string[]): void => {
    for (const payload of payloads) feed.deliver(TOPIC, Buffer.from(payload));
  };
  return { feed, history, confirmations, stats, gapStats, counts, live, replaying, deliver };
}

describe('TopicFeed', () => {
  it('drops payloads whose id the topic carried already, counts them, and passes id-less ones', () => {
    const { live, deliver, counts, feed } = setup();
    const socket = live();
    deliver(event(1), event(2), event(2), event(1), idless('a'), idless('a'), event(3));
    expect(socket.received).toEqual([event(1), event(2), idless('a'), idless('a'), event(3)]);
    expect(counts.duplicates).toBe(2);
    // Once the topic's last socket left, its last id is forgotten.
    feed.forget(TOPIC);
    deliver(event(3));
    expect(socket.received.at(-1)).toBe(event(3));
  });

  it('remembers no id for a topic without sockets', () => {
    const { live, deliver } = setup();
    deliver(event(5));
    const socket = live();
    deliver(event(5), event(6));
    expect(socket.received).toEqual([event(5), event(6)]);
  });

  it('sends the history, then live events buffered during the read above it, then joins the topic', async () => {
    const { replaying, live, deliver, history, feed, stats } = setup();
    const watcher = live();
    deliver(event(1), event(2));
    const socket = replaying(2);
    expect(history.asked.map((read) => read.afterId)).toEqual([2]);
    // Published while the read is in flight: 5 is also in what the read returns, 6 and 7 are not.
    deliver(event(5), event(6), event(7));
    expect(socket.received).toEqual([]);
    expect(feed.replayingSockets()).toBe(1);

    await history.answer({ events: entries(3, 4, 5), complete: true });
    expect(socket.received).toEqual([3, 4, 5, 6, 7].map(event));
    expect(socket.topics.has(TOPIC)).toBe(true);
    expect(feed.replayingSockets()).toBe(0);

    deliver(event(7), event(8));
    expect(socket.received).toEqual([3, 4, 5, 6, 7, 8].map(event));
    expect(watcher.received).toEqual([1, 2, 5, 6, 7, 8].map(event));
    expect(stats).toMatchObject({ started: 1, events: 3 });
  });

  it('keeps a socket off the topic until the live stream passes what its history read returned', async () => {
    const { replaying, live, deliver, history, feed } = setup();
    const watcher = live();
    deliver(event(1));
    const socket = replaying(1);
    // The history already holds 2 and 3; their live copies have not arrived yet.
    await history.answer({ events: entries(2, 3), complete: true });
    expect(socket.received).toEqual([event(2), event(3)]);
    expect(socket.topics.has(TOPIC)).toBe(false);
    expect(feed.replayingSockets()).toBe(1);

    deliver(event(2), event(3), idless('old publisher'));
    expect(socket.received).toEqual([event(2), event(3), idless('old publisher')]);
    expect(socket.topics.has(TOPIC)).toBe(false);

    // The first id above: the socket joins right before it is published, and gets it from there.
    deliver(event(4), event(5));
    expect(socket.received).toEqual([event(2), event(3), idless('old publisher'), event(4), event(5)]);
    expect(socket.topics.has(TOPIC)).toBe(true);
    expect(feed.replayingSockets()).toBe(0);
    expect(watcher.received).toEqual([event(1), event(2), event(3), idless('old publisher'), event(4), event(5)]);
  });

  it('joins at once when the topic already carried the last id sent', async () => {
    const { replaying, live, deliver, history } = setup();
    live();
    deliver(event(1), event(2), event(3));
    const socket = replaying(1);
    await history.answer({ events: entries(2, 3), complete: true });
    expect(socket.topics.has(TOPIC)).toBe(true);
    deliver(event(4));
    expect(socket.received).toEqual([2, 3, 4].map(event));
  });

  it('sends nothing but what comes next when the id is the latest', async () => {
    const { replaying, deliver, history } = setup();
    const socket = replaying(9);
    await history.answer({ events: [], complete: true });
    expect(socket.received).toEqual([]);
    deliver(event(9), event(10));
    expect(socket.received).toEqual([event(10)]);
  });

  it('after a resync sends every buffered live event, even ids below the old one (ids that started over)', async () => {
    const { replaying, deliver, history, stats } = setup();
    const socket = replaying(50);
    deliver(event(1), event(2));
    await history.answer({ events: [], complete: false });
    // The read is asked again once (it may have raced an append); still incomplete.
    await history.answer({ events: [], complete: false });
    expect(socket.received).toEqual([encodeResync(50), event(1), event(2)]);
    expect(socket.topics.has(TOPIC)).toBe(true);
    deliver(event(3));
    expect(socket.received.at(-1)).toBe(event(3));
    expect(stats.resyncs).toEqual({ notKept: 1, tooMany: 0, unavailable: 0 });
  });

  it('paces the replay by drain, buffering live events meanwhile, and joins once all is sent', async () => {
    const { replaying, deliver, history, feed } = setup({ sendBelow: 100 });
    const socket = replaying(0);
    socket.stalled = true;
    await history.answer({ events: entries(1, 2, 3, 4, 5, 6, 7, 8), complete: true });
    // Each frame is ~45 bytes: three go out before the socket buffers 100 bytes or more.
    expect(socket.received).toEqual([1, 2, 3].map(event));
    expect(socket.topics.has(TOPIC)).toBe(false);
    deliver(event(9));
    feed.drained(socket.replay!); // still over: nothing more
    expect(socket.received).toHaveLength(3);

    let rounds = 0;
    while (!socket.topics.has(TOPIC) && rounds < 10) {
      socket.buffered = 0;
      feed.drained(socket.replay!);
      rounds += 1;
    }
    expect(socket.received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map(event));
    expect(rounds).toBe(2);
    deliver(event(10));
    expect(socket.received.at(-1)).toBe(event(10));
  });

  it('closes a socket whose buffered live events go over the limit, and never touches it again', async () => {
    const { replaying, deliver, history, feed } = setup({ bufferBytes: 100 });
    const socket = replaying(0);
    deliver(event(1), event(2));
    expect(socket.closed).toBeUndefined();
    deliver(event(3));
    expect(socket.closed).toBe('bufferFull');
    expect(feed.replayingSockets()).toBe(0);
    deliver(event(4));
    await history.answer({ events: entries(1, 2, 3), complete: true });
    expect(socket.received).toEqual([]);
  });

  it('closes a socket when uWS drops a replayed frame, without joining the topic', async () => {
    const { replaying, history } = setup();
    const socket = replaying(0);
    socket.dropAfter = 2;
    await history.answer({ events: entries(1, 2, 3), complete: true });
    expect(socket.closed).toBe('dropped');
    expect(socket.received).toEqual([event(1), event(2)]);
    expect(socket.topics.has(TOPIC)).toBe(false);
  });

  it('forgets a socket that left while its history was read', async () => {
    const { replaying, deliver, history, feed } = setup();
    const socket = replaying(0);
    deliver(event(1));
    socket.closed = 'client';
    feed.left(socket.replay!);
    expect(feed.replayingSockets()).toBe(0);
    await history.answer({ events: entries(1), complete: true });
    deliver(event(2));
    expect(socket.received).toEqual([]);
  });

  it('closes the socket as failed when the replay throws', async () => {
    const { replaying, history } = setup();
    const socket = replaying(0);
    socket.cork = () => {
      throw new Error('a bug');
    };
    await history.answer({ events: entries(1), complete: true });
    expect(socket.closed).toBe('failed');
  });
});

describe('TopicFeed gap fill after the bus subscribed again', () => {
  it('holds live events back, publishes the missing ones from the history, then the held ones, each once', async () => {
    const { live, deliver, feed, history, confirmations, counts, gapStats } = setup();
    const socket = live();
    deliver(event(1), event(2));
    feed.resubscribed();
    // Delivered right after the reconnect: 3 and 4 went by while the bus was away.
    deliver(event(5));
    expect(socket.received).toEqual([event(1), event(2)]);
    // The history is read only once the channel's SUBSCRIBE was answered again.
    expect(confirmations.asked.map((asked) => asked.topic)).toEqual([TOPIC]);
    expect(history.asked).toEqual([]);
    await confirmations.answer();
    expect(history.asked.map((read) => read.afterId)).toEqual([2]);
    deliver(event(6));
    // The read saw 5 (its live copy came already) and 6 (whose live copy is held back too).
    await history.answer({ events: entries(3, 4, 5, 6), complete: true });
    expect(socket.received).toEqual([1, 2, 3, 4, 5, 6].map(event));
    // Late live copies are duplicates; then the topic flows as before.
    deliver(event(6), event(7));
    expect(socket.received).toEqual([1, 2, 3, 4, 5, 6, 7].map(event));
    expect(counts.duplicates).toBe(3);
    // 5 and 6 went out from the history, before their held-back live copies.
    expect(gapStats).toEqual({
      started: 1,
      events: 4,
      resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 },
    });
  });

  it('publishes a resync, then the held-back events, when the history no longer reaches back', async () => {
    const { live, deliver, feed, history, confirmations, gapStats } = setup();
    const socket = live();
    deliver(event(1), event(2));
    feed.resubscribed();
    deliver(event(9));
    await confirmations.answer();
    await history.answer({ events: entries(7, 8, 9), complete: false });
    expect(socket.received).toEqual([event(1), event(2), encodeResync(2), event(9)]);
    expect(gapStats.resyncs.notKept).toBe(1);
  });

  it('publishes no resync when the history holds nothing after the id (a Redis that restarted empty)', async () => {
    const { live, deliver, feed, history, confirmations, gapStats } = setup();
    const socket = live();
    deliver(event(1), event(2));
    feed.resubscribed();
    await confirmations.answer();
    deliver(event(3));
    await history.answer({ events: [], complete: false });
    // Asked again once (the read may have raced an append), still nothing.
    await history.answer({ events: [], complete: false });
    expect(socket.received).toEqual([1, 2, 3].map(event));
    expect(gapStats.resyncs).toEqual({ notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 });
  });

  it('publishes a resync when the SUBSCRIBE fails again on every attempt', async () => {
    const { live, deliver, feed, confirmations, history, gapStats } = setup();
    const socket = live();
    deliver(event(1));
    feed.resubscribed();
    deliver(event(4));
    for (let attempt = 1; attempt < GAP_FILL_ATTEMPTS; attempt += 1) {
      await confirmations.answer(new Error('connection lost'));
      expect(socket.received).toEqual([event(1)]);
    }
    await confirmations.answer(new Error('connection lost'));
    expect(history.asked).toEqual([]);
    expect(socket.received).toEqual([event(1), encodeResync(1), event(4)]);
    expect(gapStats.resyncs.unavailable).toBe(1);
  });

  it('reads again when the history is unavailable at first (its connection comes back later)', async () => {
    const { live, deliver, feed, confirmations, history, gapStats } = setup();
    const socket = live();
    deliver(event(1));
    feed.resubscribed();
    deliver(event(4));
    await confirmations.answer(new Error('connection lost'));
    await confirmations.answer();
    await history.answer({ events: entries(2, 3), complete: true });
    expect(socket.received).toEqual([event(1), event(2), event(3), event(4)]);
    expect(gapStats.resyncs.unavailable).toBe(0);
  });

  it('fills from the floor a topic that carried no event before the bus dropped', async () => {
    const { live, deliver, feed, confirmations, history } = setup();
    history.latest = 7;
    feed.installFloor(TOPIC, (await feed.learnFloor(TOPIC))!);
    const socket = live();
    feed.resubscribed();
    deliver(event(10));
    await confirmations.answer();
    expect(history.asked.map((read) => read.afterId)).toEqual([7]);
    await history.answer({ events: entries(8, 9), complete: true });
    expect(socket.received).toEqual([event(8), event(9), event(10)]);
  });

  it('fills nothing for a topic without an event or a floor', () => {
    const { live, feed, confirmations } = setup();
    live();
    feed.resubscribed();
    expect(confirmations.asked).toEqual([]);
  });

  it('ends the fill with a resync at once when the held-back events go over the buffer', async () => {
    const { live, deliver, feed, confirmations, history, gapStats } = setup({ bufferBytes: 100 });
    const socket = live();
    deliver(event(1));
    feed.resubscribed();
    deliver(event(5), event(6));
    expect(socket.received).toEqual([event(1)]);
    deliver(event(7));
    expect(socket.received).toEqual([event(1), encodeResync(1), event(5), event(6), event(7)]);
    expect(gapStats.resyncs.bufferFull).toBe(1);
    // The read that comes back later changes nothing.
    await confirmations.answer();
    expect(history.asked).toEqual([]);
    deliver(event(8));
    expect(socket.received.at(-1)).toBe(event(8));
  });

  it('reads again when the bus subscribes again during a fill, keeping what it held back', async () => {
    const { live, deliver, feed, confirmations, history } = setup();
    const socket = live();
    deliver(event(1));
    feed.resubscribed();
    deliver(event(3));
    await confirmations.answer();
    feed.resubscribed();
    deliver(event(5));
    await confirmations.answer();
    expect(history.asked.map((read) => read.afterId)).toEqual([1, 1]);
    // The first read's answer is stale: ignored.
    await history.answer({ events: entries(2, 3), complete: true });
    expect(socket.received).toEqual([event(1)]);
    await history.answer({ events: entries(2, 3, 4, 5), complete: true });
    expect(socket.received).toEqual([1, 2, 3, 4, 5].map(event));
  });

  it('fills a topic whose socket is still being replayed to, without repeating an event to it', async () => {
    const { live, replaying, deliver, feed, confirmations, history } = setup();
    const watcher = live();
    deliver(event(1), event(2));
    const socket = replaying(2);
    feed.resubscribed();
    deliver(event(5));
    await confirmations.answer();
    // The socket's own read answers first: it is sent 3–5 and waits, off the topic, for more.
    await history.answer({ events: entries(3, 4, 5), complete: true });
    expect(socket.received).toEqual([3, 4, 5].map(event));
    await history.answer({ events: entries(3, 4, 5), complete: true });
    deliver(event(6));
    expect(socket.received).toEqual([3, 4, 5, 6].map(event));
    expect(watcher.received).toEqual([1, 2, 3, 4, 5, 6].map(event));
  });

  it('fills nothing for a topic that never carried an id, and forgets a fill when the last socket leaves', async () => {
    const { live, deliver, feed, confirmations } = setup();
    const socket = live();
    feed.resubscribed();
    expect(confirmations.asked).toEqual([]);
    deliver(event(1));
    feed.resubscribed();
    feed.forget(TOPIC);
    await confirmations.answer();
    deliver(event(2));
    expect(socket.received).toEqual([event(1), event(2)]);
  });
});
