import type { BusPayload, EventHistory, HistoryRead } from '@helpdesk/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { emptyReplayStats, Replay, type FeedSocket, type ReplayOptions } from './replay.js';

// A Replay on its own: what it sends, when it joins the topic and when it tells its owner to stop
// offering it live events. (topic-feed.test.ts plays it together with the feed.)

const TOPIC = 'org:acme';
const event = (id: number): string => `{"type":"new_message","data":"m${id}","id":${id}}`;

class FakeSocket implements FeedSocket {
  readonly received: string[] = [];
  readonly topics: string[] = [];

  send(message: BusPayload): number {
    this.received.push(message.toString());
    return 1;
  }
  getBufferedAmount(): number {
    return 0;
  }
  subscribe(topic: string): boolean {
    this.topics.push(topic);
    return true;
  }
  cork(callback: () => void): this {
    callback();
    return this;
  }
}

function setup(history: HistoryRead, lastForwarded?: number) {
  const socket = new FakeSocket();
  const untracked: Array<Replay<FakeSocket>> = [];
  const reads: HistoryRead[] = [history];
  const source: EventHistory = {
    since: () => Promise.resolve(reads.shift() ?? { events: [], complete: true }),
    latestId: () => Promise.resolve(undefined),
  };
  const options: ReplayOptions<FakeSocket> = {
    history: source,
    maxEvents: 100,
    timeoutMs: 5000,
    bufferBytes: 100_000,
    sendBelowBufferedBytes: 100_000,
    close: () => {
      throw new Error('not closed in these tests');
    },
    lastForwarded: () => lastForwarded,
    filling: () => false,
    untrack: (replay) => untracked.push(replay),
    stats: emptyReplayStats(),
    logger: pino({ level: 'silent' }),
  };
  const replay = new Replay(socket, TOPIC, 1, options);
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { socket, replay, untracked, options, settled };
}

describe('Replay', () => {
  it('waits off the topic after its history, joins before the first higher id, and is untracked once', async () => {
    const { socket, replay, untracked, options, settled } = setup({
      events: [2, 3].map((id) => ({ id, payload: event(id) })),
      complete: true,
    });
    replay.start();
    await settled();
    expect(socket.received).toEqual([event(2), event(3)]);
    expect(socket.topics).toEqual([]);
    replay.offer(3, event(3));
    expect(socket.topics).toEqual([]);
    replay.offer(4, event(4));
    // Joined: 4 reaches it through the topic, not from the replay.
    expect(socket.topics).toEqual([TOPIC]);
    expect(socket.received).toEqual([event(2), event(3)]);
    expect(untracked).toEqual([replay]);
    replay.left();
    expect(untracked).toEqual([replay]);
    expect(options.stats).toMatchObject({ started: 1, events: 2 });
  });

  it('joins at once when the topic carried its last id, and is untracked when it leaves before that', async () => {
    const joined = setup({ events: [{ id: 2, payload: event(2) }], complete: true }, 2);
    joined.replay.start();
    await joined.settled();
    expect(joined.socket.topics).toEqual([TOPIC]);

    const leaving = setup({ events: [{ id: 2, payload: event(2) }], complete: true });
    leaving.replay.start();
    leaving.replay.offer(5, event(5));
    leaving.replay.left();
    expect(leaving.untracked).toEqual([leaving.replay]);
    await leaving.settled();
    expect(leaving.socket.received).toEqual([]);
  });
});
