import { describe, expect, it } from 'vitest';
import { BackpressureGuard } from './backpressure-guard.js';

describe('BackpressureGuard', () => {
  interface FakeSocket {
    name: string;
    buffered: number;
    getBufferedAmount(): number;
  }
  const socket = (name: string, buffered: number): FakeSocket => ({
    name,
    buffered,
    getBufferedAmount() {
      return this.buffered;
    },
  });

  it('closes, at the end of the turn, the sockets of a published topic that are over the limit', async () => {
    const sockets = new Set([socket('slow', 2000), socket('fast', 10)]);
    const closed: string[] = [];
    const guard = new BackpressureGuard<FakeSocket>({
      limitBytes: 1000,
      socketsIn: (topic) => (topic === 't:acme' ? sockets : undefined),
      onSlowConsumer: (s) => {
        closed.push(s.name);
        sockets.delete(s);
      },
    });
    guard.published('t:acme', 10);
    guard.published('t:globex', 10);
    expect(closed).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toEqual(['slow']);
  });

  it('checks at once when half a limit went to one topic since its last check', () => {
    const sockets = [socket('slow', 5000)];
    const closed: string[] = [];
    const guard = new BackpressureGuard<FakeSocket>({
      limitBytes: 1000,
      socketsIn: () => sockets,
      onSlowConsumer: (s) => closed.push(s.name),
    });
    guard.published('t:acme', 499);
    expect(closed).toEqual([]);
    guard.published('t:acme', 1);
    expect(closed).toEqual(['slow']);
    guard.close();
  });
});
