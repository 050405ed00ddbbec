import { describe, expect, it } from 'vitest';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';

function clock(startMs = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms) => (nowMs += ms) };
}

describe('ConnectionRateLimiter', () => {
  it('allows a burst, then one attempt per 1/rate seconds, with Retry-After in whole seconds', () => {
    const time = clock();
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 2, burst: 3 }, time.now);
    for (let i = 0; i < 3; i += 1) expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Refused attempts cost nothing: half a second later one token is back.
    time.advance(499);
    expect(limiter.take('a').allowed).toBe(false);
    time.advance(1);
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a').allowed).toBe(false);
    // Other addresses have budgets of their own.
    expect(limiter.take('b')).toEqual({ allowed: true });
  });

  it('rounds Retry-After up for slow rates', () => {
    const time = clock();
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 0.25, burst: 1 }, time.now);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 4 });
    time.advance(2500);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it('never refills past the burst, and ignores a clock stepping backwards', () => {
    const time = clock();
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 10, burst: 2 }, time.now);
    time.advance(3_600_000);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].map((d) => d.allowed)).toEqual([
      true,
      true,
      false,
    ]);
    time.advance(-60_000);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('is off at rate 0', () => {
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 0, burst: 1 });
    for (let i = 0; i < 1000; i += 1) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('forgets addresses whose bucket refilled, and never tracks more than the cap', () => {
    const time = clock();
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 10, burst: 20, maxTrackedAddresses: 3 }, time.now);
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    expect(limiter.size).toBe(3);
    // Full after 0.1 s; swept at the next attempt once the sweep interval (2 s refill, min 1 s) passed.
    time.advance(2000);
    limiter.take('d');
    expect(limiter.size).toBe(1);

    // At the cap, the least recently seen address goes.
    for (let i = 0; i < 20; i += 1) limiter.take('e'); // e emptied its bucket
    limiter.take('f');
    limiter.take('d'); // d seen again: now the most recent
    limiter.take('g'); // evicts e, the least recently seen
    expect(limiter.size).toBe(3);
    expect(limiter.take('e')).toEqual({ allowed: true }); // forgotten, so a fresh bucket
  });
});
