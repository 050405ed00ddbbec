import type { EventSubscriber } from '@helpdesk/shared';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrganizationTopics } from './organization-topics.js';

// A bus whose SUBSCRIBE/UNSUBSCRIBE answers the test releases one by one, to replay the races
// between sockets and Redis round trips deterministically.
class ScriptedSubscriber implements EventSubscriber {
  readonly calls: string[] = [];
  readonly live = new Set<string>();
  private readonly pending: Array<{ settle: (ok: boolean) => void }> = [];

  subscribe(channel: string): Promise<void> {
    return this.call(`subscribe ${channel}`, () => this.live.add(channel));
  }

  unsubscribe(channel: string): Promise<void> {
    return this.call(`unsubscribe ${channel}`, () => this.live.delete(channel));
  }

  onResubscribed(): void {
    // Scripted subscribers never reconnect.
  }
  isConnected(): boolean {
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /** Answers the oldest call in flight, successfully or not, and lets its continuations run. */
  async answer(ok = true): Promise<void> {
    const next = this.pending.shift();
    if (!next) throw new Error('no call in flight');
    next.settle(ok);
    await flush();
  }

  private call(name: string, apply: () => void): Promise<void> {
    this.calls.push(name);
    return new Promise((resolve, reject) => {
      this.pending.push({
        settle: (ok) => {
          if (!ok) {
            reject(new Error('redis said no'));
            return;
          }
          apply();
          resolve();
        },
      });
    });
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

function setup(retryDelayMs = 1000): { bus: ScriptedSubscriber; topics: OrganizationTopics } {
  const bus = new ScriptedSubscriber();
  return { bus, topics: new OrganizationTopics({ subscriber: bus, logger: pino({ level: 'silent' }), retryDelayMs }) };
}

function track(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected' } {
  const tracked: { state: 'pending' | 'resolved' | 'rejected' } = { state: 'pending' };
  promise.then(
    () => (tracked.state = 'resolved'),
    () => (tracked.state = 'rejected'),
  );
  return tracked;
}

// The retry pause is a timer: fake timers make "not before the pause, right after it" exact.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('OrganizationTopics', () => {
  it('subscribes once for the first holder and unsubscribes after the last', async () => {
    const { bus, topics } = setup();
    const first = track(topics.acquire('org:a'));
    const second = track(topics.acquire('org:a'));
    await flush();
    expect(bus.calls).toEqual(['subscribe org:a']);
    expect([first.state, second.state]).toEqual(['pending', 'pending']);

    await bus.answer();
    expect([first.state, second.state]).toEqual(['resolved', 'resolved']);
    expect(topics.holdIfSubscribed('org:a')).toBe(true);

    topics.release('org:a');
    topics.release('org:a');
    expect(bus.calls).toEqual(['subscribe org:a']);
    topics.release('org:a');
    expect(bus.calls).toEqual(['subscribe org:a', 'unsubscribe org:a']);
    await bus.answer();
    expect(bus.live.size).toBe(0);
    await topics.whenIdle();
  });

  it('re-subscribes a socket that arrives while the UNSUBSCRIBE of its organization is in flight', async () => {
    const { bus, topics } = setup();
    const first = topics.acquire('org:a');
    await bus.answer();
    await first;
    topics.release('org:a'); // UNSUBSCRIBE goes out
    expect(topics.holdIfSubscribed('org:a')).toBe(false); // not while it is leaving
    const next = track(topics.acquire('org:a'));
    await bus.answer(); // the UNSUBSCRIBE is answered...
    expect(next.state).toBe('pending');
    expect(bus.calls).toEqual(['subscribe org:a', 'unsubscribe org:a', 'subscribe org:a']);
    await bus.answer(); // ...and the new SUBSCRIBE too
    expect(next.state).toBe('resolved');
    expect([...bus.live]).toEqual(['org:a']);
    expect(topics.subscribedChannels()).toEqual(['org:a']);
  });

  it('unsubscribes when the only waiter gives its hold back as soon as the SUBSCRIBE is answered', async () => {
    // An upgrade aborted while its SUBSCRIBE was in flight: the route releases once acquire settles.
    const { bus, topics } = setup();
    const waiting = topics.acquire('org:a');
    await bus.answer();
    await waiting;
    topics.release('org:a');
    expect(bus.calls).toEqual(['subscribe org:a', 'unsubscribe org:a']);
    await bus.answer();
    expect(bus.live.size).toBe(0);
    await topics.whenIdle();
  });

  it('runs one change at a time per channel, and channels independently', async () => {
    const { bus, topics } = setup();
    void topics.acquire('org:a');
    void topics.acquire('org:b');
    topics.release('org:a');
    void topics.acquire('org:a');
    topics.release('org:a');
    expect(bus.calls).toEqual(['subscribe org:a', 'subscribe org:b']);
    await bus.answer();
    await bus.answer();
    expect(bus.calls).toEqual(['subscribe org:a', 'subscribe org:b', 'unsubscribe org:a']);
    await bus.answer();
    expect([...bus.live]).toEqual(['org:b']);
  });

  it('rejects the waiters of a failed SUBSCRIBE, gives their holds back and leaves nothing behind', async () => {
    const { bus, topics } = setup(5);
    const failing = track(topics.acquire('org:a'));
    await bus.answer(false);
    expect(failing.state).toBe('rejected');
    // After the pause nothing is retried: no one holds the channel any more.
    await vi.advanceTimersByTimeAsync(5);
    expect(bus.calls).toEqual(['subscribe org:a']);
    expect(vi.getTimerCount()).toBe(0);
    await topics.whenIdle();
  });

  it('retries a failed UNSUBSCRIBE after a pause rather than leaking the subscription', async () => {
    const { bus, topics } = setup(5);
    const held = topics.acquire('org:a');
    await bus.answer();
    await held;
    topics.release('org:a');
    await bus.answer(false);
    expect(bus.inFlight).toBe(0);
    // Not before the pause…
    await vi.advanceTimersByTimeAsync(4);
    expect(bus.calls).toEqual(['subscribe org:a', 'unsubscribe org:a']);
    // …and right after it.
    await vi.advanceTimersByTimeAsync(1);
    expect(bus.calls).toEqual(['subscribe org:a', 'unsubscribe org:a', 'unsubscribe org:a']);
    await bus.answer();
    expect(bus.live.size).toBe(0);
    await topics.whenIdle();
  });

  it('reconfirms a held channel with a SUBSCRIBE of its own, sent after the call, one change at a time', async () => {
    const { bus, topics } = setup();
    expect(await topics.reconfirm('org:a')).toBe(false); // nothing holds it: no round trip
    const held = topics.acquire('org:a');
    // Asked while the first SUBSCRIBE is in flight: that one may predate a reconnect, so it
    // gets a SUBSCRIBE of its own after it.
    const confirmed = topics.reconfirm('org:a');
    await bus.answer();
    await held;
    expect(bus.calls).toEqual(['subscribe org:a', 'subscribe org:a']);
    expect(topics.holdIfSubscribed('org:a')).toBe(false); // not while it is being reconfirmed
    await bus.answer();
    expect(await confirmed).toBe(true);
    expect(topics.subscribedCount()).toBe(1);

    // The last holder leaving while a reconfirm waits: answered false, and unsubscribed.
    const again = topics.reconfirm('org:a');
    topics.release('org:a');
    await bus.answer();
    expect(bus.calls.at(-1)).toBe('unsubscribe org:a');
    await bus.answer();
    expect(await again).toBe(true);
    expect(bus.live.size).toBe(0);
    await topics.whenIdle();
  });

  it('rejects a reconfirm whose SUBSCRIBE fails', async () => {
    const { bus, topics } = setup(5);
    const held = topics.acquire('org:a');
    await bus.answer();
    await held;
    const confirmed = track(topics.reconfirm('org:a').then(() => undefined));
    await bus.answer(false);
    expect(confirmed.state).toBe('rejected');
    topics.release('org:a');
    // The channel stays subscribed until the pause after the failure is over, then it unsubscribes.
    await vi.advanceTimersByTimeAsync(4);
    expect(bus.calls).toEqual(['subscribe org:a', 'subscribe org:a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(bus.calls).toEqual(['subscribe org:a', 'subscribe org:a', 'unsubscribe org:a']);
    await bus.answer();
    await topics.whenIdle();
  });
});
