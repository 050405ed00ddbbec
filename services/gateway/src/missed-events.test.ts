import { InProcessBus, type EventHistory, type HistoryRead } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { readMissed, SharedHistoryReads } from './missed-events.js';

const CHANNEL = 'org:acme';
const payload = (id: number): string => `{"type":"new_message","data":"m${id}","id":${id}}`;

/** A real (in-process) history holding events 1..count, with every read recorded. */
async function historyOf(count: number): Promise<{ history: EventHistory; reads: Array<[number, number]> }> {
  const bus = new InProcessBus();
  await bus
    .publisher()
    .publishSequenced(
      Array.from({ length: count }, (_, i) => ({ channel: CHANNEL, id: i + 1, payload: payload(i + 1) })),
    );
  const reads: Array<[number, number]> = [];
  return {
    reads,
    history: {
      since: (channel, afterId, limit) => {
        reads.push([afterId, limit]);
        return bus.history().since(channel, afterId, limit);
      },
      latestId: (channel) => bus.history().latestId(channel),
    },
  };
}

/** A history answering each read from a script, in order. */
function scripted(...answers: Array<HistoryRead | Error | 'never'>): EventHistory & { calls: number } {
  const history = {
    calls: 0,
    latestId: () => Promise.resolve(undefined),
    since: (): Promise<HistoryRead> => {
      const answer = answers[history.calls];
      history.calls += 1;
      if (answer === undefined) throw new Error('read more than scripted');
      if (answer === 'never') return new Promise(() => undefined);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
  return history;
}

const ids = (result: Awaited<ReturnType<typeof readMissed>>): number[] | string =>
  result.replay ? result.events.map((e) => e.id) : result.reason;

describe('readMissed', () => {
  it('reads page by page until a page comes back short', async () => {
    const { history, reads } = await historyOf(5);
    const result = await readMissed(history, CHANNEL, 0, { maxEvents: 10, timeoutMs: 1000, pageSize: 2 });
    expect(ids(result)).toEqual([1, 2, 3, 4, 5]);
    expect(result.replay && result.events.map((e) => e.payload.toString())).toEqual([1, 2, 3, 4, 5].map(payload));
    expect(reads).toEqual([
      [0, 2],
      [2, 2],
      [4, 2],
    ]);
  });

  it('replays exactly maxEvents, and says tooMany for one more', async () => {
    const four = await historyOf(4);
    expect(ids(await readMissed(four.history, CHANNEL, 0, { maxEvents: 4, timeoutMs: 1000, pageSize: 2 }))).toEqual([
      1, 2, 3, 4,
    ]);
    // The last read asks for a single event: one past the limit.
    expect(four.reads).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    const five = await historyOf(5);
    expect(ids(await readMissed(five.history, CHANNEL, 0, { maxEvents: 4, timeoutMs: 1000, pageSize: 2 }))).toBe(
      'tooMany',
    );
    expect(ids(await readMissed(five.history, CHANNEL, 5, { maxEvents: 0, timeoutMs: 1000 }))).toEqual([]);
    expect(ids(await readMissed(five.history, CHANNEL, 4, { maxEvents: 0, timeoutMs: 1000 }))).toBe('tooMany');
  });

  it('replays nothing from the latest id', async () => {
    const { history } = await historyOf(3);
    expect(ids(await readMissed(history, CHANNEL, 3, { maxEvents: 10, timeoutMs: 1000 }))).toEqual([]);
  });

  it('says notKept when the history does not reach back, on the first page or a later one', async () => {
    const { history } = await historyOf(3);
    expect(ids(await readMissed(history, CHANNEL, 7, { maxEvents: 10, timeoutMs: 1000 }))).toBe('notKept');
    expect(ids(await readMissed(history, 'org:unknown', 0, { maxEvents: 10, timeoutMs: 1000 }))).toBe('notKept');
    const trimmedBetweenPages = scripted(
      { events: [{ id: 1, payload: payload(1) }], complete: true },
      { events: [{ id: 5, payload: payload(5) }], complete: false },
    );
    expect(await readMissed(trimmedBetweenPages, CHANNEL, 0, { maxEvents: 10, timeoutMs: 1000, pageSize: 1 })).toEqual({
      replay: false,
      reason: 'notKept',
      nothingAfter: false,
    });
    // What the gap fill tells apart: a history that starts after a gap, and one with nothing after the id.
    const startsLater = scripted({ events: [{ id: 5, payload: payload(5) }], complete: false });
    expect(await readMissed(startsLater, CHANNEL, 2, { maxEvents: 10, timeoutMs: 1000 })).toEqual({
      replay: false,
      reason: 'notKept',
      nothingAfter: false,
    });
  });

  it('asks again once after an empty incomplete read (a read that raced an append), not more', async () => {
    const raced = scripted(
      { events: [], complete: false },
      { events: [{ id: 6, payload: payload(6) }], complete: true },
    );
    expect(ids(await readMissed(raced, CHANNEL, 5, { maxEvents: 10, timeoutMs: 1000 }))).toEqual([6]);
    const gap = scripted({ events: [], complete: false }, { events: [], complete: false });
    const missed = await readMissed(gap, CHANNEL, 5, { maxEvents: 10, timeoutMs: 1000 });
    expect(missed).toEqual({ replay: false, reason: 'notKept', nothingAfter: true });
    expect(gap.calls).toBe(2);
  });

  it('says unavailable when a read fails or does not answer in time, and reads no further page after', async () => {
    const failure = new Error('READONLY');
    const failing = await readMissed(scripted(failure), CHANNEL, 0, { maxEvents: 10, timeoutMs: 1000 });
    expect(failing).toEqual({ replay: false, reason: 'unavailable', error: failure });

    let answer: (read: HistoryRead) => void = () => undefined;
    let calls = 0;
    const slow: EventHistory = {
      since: () => {
        calls += 1;
        return new Promise((resolve) => (answer = resolve));
      },
      latestId: () => Promise.resolve(undefined),
    };
    const started = Date.now();
    const late = await readMissed(slow, CHANNEL, 0, { maxEvents: 10, timeoutMs: 30, pageSize: 1 });
    expect(late).toMatchObject({ replay: false, reason: 'unavailable' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    // The first page answers after the deadline: nobody waits for the rest, so it is not read.
    answer({ events: [{ id: 1, payload: payload(1) }], complete: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
  });
});

describe('SharedHistoryReads', () => {
  it('shares a read in flight among callers asking for the same page, and only while it is in flight', async () => {
    const { history, reads } = await historyOf(3);
    const shared = new SharedHistoryReads(history);
    const [a, b, other] = await Promise.all([
      shared.since(CHANNEL, 1, 10),
      shared.since(CHANNEL, 1, 10),
      shared.since(CHANNEL, 2, 10),
    ]);
    expect(a).toBe(b);
    expect(other.events.map((e) => e.id)).toEqual([3]);
    expect(reads).toEqual([
      [1, 10],
      [2, 10],
    ]);
    expect(shared.size).toBe(0);
    await shared.since(CHANNEL, 1, 10);
    expect(reads).toHaveLength(3);
  });

  it('hands a failure to every caller of the read and forgets it', async () => {
    const shared = new SharedHistoryReads(scripted(new Error('down'), { events: [], complete: true }));
    const reads = [shared.since(CHANNEL, 1, 10), shared.since(CHANNEL, 1, 10)];
    await expect(reads[0]).rejects.toThrow('down');
    await expect(reads[1]).rejects.toThrow('down');
    expect(shared.size).toBe(0);
    await expect(shared.since(CHANNEL, 1, 10)).resolves.toEqual({ events: [], complete: true });
  });
});
