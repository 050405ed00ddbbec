import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackpressureGuard } from './backpressure-guard.js';

describe('BackpressureGuard', () => {
  interface FakeSocket {
    name: string;
    buffered: number;
    reads: number;
    getBufferedAmount(): number;
  }
  const socket = (name: string, buffered: number): FakeSocket => ({
    name,
    buffered,
    reads: 0,
    getBufferedAmount() {
      this.reads += 1;
      return this.buffered;
    },
  });

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(sockets: Set<FakeSocket>) {
    const closed: string[] = [];
    const guard = new BackpressureGuard<FakeSocket>({
      limitBytes: 1000,
      socketsIn: (topic) => (topic === 't:acme' ? sockets : undefined),
      onSlowConsumer: (s) => {
        closed.push(s.name);
        sockets.delete(s);
      },
      intervalMs: 50,
      now: () => Date.now(),
    });
    return { guard, closed };
  }

  it('closes the sockets of a published topic that are over the limit, soon after the publish', () => {
    const sockets = new Set([socket('slow', 2000), socket('fast', 10)]);
    const { guard, closed } = setup(sockets);
    guard.published('t:acme', 10);
    guard.published('t:globex', 10);
    expect(closed).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(closed).toEqual(['slow']);
    guard.close();
  });

  it('walks a busy topic at most once per interval, however many events it gets', () => {
    const fast = socket('fast', 10);
    const { guard } = setup(new Set([fast]));
    for (let ms = 0; ms < 500; ms += 1) {
      guard.published('t:acme', 1); // 500 events of 1 byte: under the byte budget throughout
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(50);
    // One check at the first event, then one per 50 ms: 11 instead of 500.
    expect(fast.reads).toBeLessThanOrEqual(11);
    expect(fast.reads).toBeGreaterThanOrEqual(10);
    // Nothing published since the last check: no more walks.
    vi.advanceTimersByTime(1000);
    expect(fast.reads).toBeLessThanOrEqual(11);
    guard.close();
  });

  it('checks at once when half a limit went to one topic since its last check', () => {
    const sockets = new Set([socket('slow', 5000)]);
    const { guard, closed } = setup(sockets);
    guard.published('t:acme', 499);
    expect(closed).toEqual([]);
    guard.published('t:acme', 1);
    expect(closed).toEqual(['slow']);
    guard.close();
  });

  it('forgets a topic whose last socket left, and checks nothing after close', () => {
    const slow = socket('slow', 5000);
    const { guard, closed } = setup(new Set([slow]));
    guard.published('t:acme', 10);
    guard.forget('t:acme');
    expect(guard.size).toBe(0);
    vi.advanceTimersByTime(100);
    expect(closed).toEqual([]);
    guard.published('t:acme', 10);
    guard.close();
    vi.advanceTimersByTime(100);
    guard.published('t:acme', 1000);
    expect(closed).toEqual([]);
  });
});
