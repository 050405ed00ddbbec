import { encodeResync, type BusPayload, type EventHistory, type HistoryRead } from '@helpdesk/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { emptyCatchUpStats, emptyGapFillStats, emptyReplayStats, TopicFeed, type FeedSocket } from './topic-feed.js';

// The catch-up of a topic whose first socket opened before the bus confirmed its subscription
// (gap-fill.ts), step by step: the test answers the floor, the SUBSCRIBE, the newest id, the
// SUBSCRIBE sent again and the history read, and delivers bus payloads in between.
// test/first-socket.test.ts plays the same against native uWS and a real Redis.

const TOPIC = 'org:acme';
const event = (id: number): string => `{"type":"new_message","data":"m${id}","id":${id}}`;
const entries = (...ids: number[]) => ids.map((id) => ({ id, payload: event(id) }));

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

class LiveSocket implements FeedSocket {
  readonly received: string[] = [];
  subscribed = false;
  send(message: BusPayload): number {
    this.received.push(message.toString());
    return 1;
  }
  getBufferedAmount(): number {
    return 0;
  }
  subscribe(): boolean {
    this.subscribed = true;
    return true;
  }
  cork(callback: () => void): this {
    callback();
    return this;
  }
}

function setup() {
  const latest: Array<(id: number | undefined) => void> = [];
  const reads: Array<{ afterId: number; answer: (read: HistoryRead) => void }> = [];
  const confirmations: Array<(held: boolean) => void> = [];
  const history: EventHistory = {
    since: (_channel, afterId) => new Promise((answer) => reads.push({ afterId, answer })),
    latestId: () => new Promise((answer) => latest.push(answer)),
  };
  const socket = new LiveSocket();
  socket.subscribed = true;
  const sockets = [socket];
  const stats = emptyCatchUpStats();
  const feed = new TopicFeed<LiveSocket>({
    history,
    maxEvents: 100,
    timeoutMs: 5000,
    bufferBytes: 100_000,
    sendBelowBufferedBytes: 100_000,
    // app.publish: every socket subscribed to the topic then gets the payload.
    publish: (_topic, payload) => {
      for (const each of sockets) if (each.subscribed) each.send(payload);
    },
    hosts: () => true,
    confirmSubscribed: () => new Promise((resolve) => confirmations.push(resolve)),
    close: () => undefined,
    stats: emptyReplayStats(),
    gapStats: emptyGapFillStats(),
    catchUpStats: stats,
    onDuplicate: () => undefined,
    logger: pino({ level: 'silent' }),
  });
  const floor = deferred<number | undefined>();
  const subscribed = deferred<boolean>();
  /** The socket opens; its floor read and SUBSCRIBE are in flight. */
  const open = () => feed.catchUp(TOPIC, floor.promise, subscribed.promise);
  const deliver = (...ids: number[]) => {
    for (const id of ids) feed.deliver(TOPIC, Buffer.from(event(id)));
  };
  /** Answers the oldest newest-id read. */
  const answerLatest = async (id: number | undefined) => {
    latest.shift()!(id);
    await settle();
  };
  /** Another socket without last_event_id opens on the topic. */
  const another = (): LiveSocket => {
    const next = new LiveSocket();
    sockets.push(next);
    feed.join(next, TOPIC);
    return next;
  };
  /** Another socket opens on the topic with ?last_event_id. */
  const replaying = (lastEventId: number): LiveSocket => {
    const next = new LiveSocket();
    sockets.push(next);
    feed.replay(next, TOPIC, lastEventId);
    return next;
  };
  return {
    feed,
    socket,
    stats,
    floor,
    subscribed,
    open,
    deliver,
    answerLatest,
    reads,
    confirmations,
    another,
    replaying,
  };
}

describe('catch-up of a topic whose first socket opened before its subscription', () => {
  it('holds live events back until the newest id says nothing was published since the floor', async () => {
    const { socket, stats, floor, subscribed, open, deliver, answerLatest, reads, confirmations } = setup();
    open();
    floor.resolve(4);
    subscribed.resolve(true);
    await settle();
    deliver(5);
    expect(socket.received).toEqual([]);
    await answerLatest(4);
    expect(socket.received).toEqual([event(5)]);
    expect([reads, confirmations]).toEqual([[], []]);
    expect(stats).toMatchObject({ started: 1, reads: 0 });
  });

  it('reads nothing when every event after the floor came live before the SUBSCRIBE was answered again', async () => {
    const { socket, stats, floor, subscribed, open, deliver, answerLatest, reads, confirmations } = setup();
    open();
    deliver(5);
    floor.resolve(4);
    subscribed.resolve(true);
    await settle();
    await answerLatest(7);
    // 6 and 7 were published before the newest id was read; their live copies are on the way.
    expect(confirmations).toHaveLength(1);
    deliver(6, 7);
    confirmations.shift()!(true);
    await settle();
    expect(socket.received).toEqual([5, 6, 7].map(event));
    expect(reads).toEqual([]);
    expect(stats.reads).toBe(0);
  });

  it('publishes from the history what the bus missed before the SUBSCRIBE took effect, each event once', async () => {
    const { feed, socket, stats, floor, subscribed, open, deliver, answerLatest, reads, confirmations } = setup();
    open();
    floor.resolve(4);
    subscribed.resolve(true);
    await settle();
    // 5 and 6 went by before the subscription; 7 comes live.
    deliver(7);
    await answerLatest(7);
    confirmations.shift()!(true);
    await settle();
    expect(reads.map((read) => read.afterId)).toEqual([4]);
    // Live during the read, and in what the read returns.
    deliver(8);
    reads.shift()!.answer({ events: entries(5, 6, 7, 8), complete: true });
    await settle();
    expect(socket.received).toEqual([5, 6, 7, 8].map(event));
    deliver(9);
    expect(socket.received.at(-1)).toBe(event(9));
    expect(stats).toMatchObject({ started: 1, reads: 1, events: 4 });
    expect(feed.replayingSockets()).toBe(0);
  });

  it('sends a resync when the bus reconnected while the topic caught up', async () => {
    const { feed, socket, stats, floor, subscribed, open, deliver, answerLatest } = setup();
    open();
    feed.resubscribed();
    subscribed.resolve(true);
    floor.resolve(4);
    await settle();
    deliver(9);
    await answerLatest(4);
    expect(socket.received).toEqual([encodeResync(4), event(9)]);
    expect(stats.resyncs.unavailable).toBe(1);
  });

  it('forwards what it held back, and fills nothing, when the SUBSCRIBE fails or the floor is unknown', async () => {
    const failed = setup();
    failed.open();
    failed.subscribed.resolve(false);
    await settle();
    failed.deliver(3);
    expect(failed.socket.received).toEqual([event(3)]);

    const noFloor = setup();
    noFloor.open();
    noFloor.subscribed.resolve(true);
    noFloor.floor.resolve(undefined);
    await settle();
    noFloor.deliver(3);
    expect(noFloor.socket.received).toEqual([event(3)]);
    expect(noFloor.reads).toEqual([]);
  });

  it('gives a socket that opens during the catch-up nothing it held back from before, then the rest', async () => {
    const { socket, floor, subscribed, open, deliver, answerLatest, reads, confirmations, another } = setup();
    open();
    floor.resolve(4);
    subscribed.resolve(true);
    await settle();
    deliver(5, 6);
    const late = another();
    expect(late.subscribed).toBe(false);
    deliver(7);
    await answerLatest(7);
    confirmations.shift()!(true);
    await settle();
    expect(reads).toEqual([]);
    expect(socket.received).toEqual([5, 6, 7].map(event));
    expect(late.received).toEqual([event(7)]);
    expect(late.subscribed).toBe(true);
    deliver(8);
    expect(late.received).toEqual([7, 8].map(event));

    // Opened when the fill held nothing yet: it joins once the fill ended, with nothing released.
    const quiet = setup();
    quiet.open();
    const early = quiet.another();
    quiet.floor.resolve(4);
    quiet.subscribed.resolve(true);
    await settle();
    await quiet.answerLatest(4);
    expect([early.subscribed, quiet.feed.replayingSockets()]).toEqual([true, 0]);
  });

  it('keeps a replay that opens during the catch-up off the topic until it ended, and from what it held back', async () => {
    const { floor, subscribed, open, deliver, answerLatest, reads, confirmations, replaying } = setup();
    open();
    floor.resolve(0);
    subscribed.resolve(true);
    await settle();
    deliver(1, 2);
    const ahead = replaying(7);
    // Its id is past the history's end: a resync (the read is asked twice when it finds nothing).
    reads.shift()!.answer({ events: [], complete: false });
    await settle();
    reads.shift()!.answer({ events: [], complete: false });
    await settle();
    expect([ahead.received, ahead.subscribed]).toEqual([[encodeResync(7)], false]);
    await answerLatest(2);
    confirmations.shift()!(true);
    await settle();
    // 1 and 2 were published before it opened: released to the topic, not to it; then it joined.
    expect([ahead.received, ahead.subscribed]).toEqual([[encodeResync(7)], true]);
    deliver(3);
    expect(ahead.received).toEqual([encodeResync(7), event(3)]);
  });

  it('lets a second socket of the topic join the catch-up in progress', async () => {
    const { feed, socket, stats, floor, subscribed, open, deliver, answerLatest } = setup();
    open();
    feed.catchUp(TOPIC, Promise.resolve(6), Promise.resolve(true));
    floor.resolve(4);
    subscribed.resolve(true);
    await settle();
    deliver(5);
    await answerLatest(4);
    expect(socket.received).toEqual([event(5)]);
    expect(stats.started).toBe(1);
  });
});
