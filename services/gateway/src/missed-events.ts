import { withTimeout, type BusPayload, type EventHistory, type HistoryRead } from '@helpdesk/shared';

// What a socket that reconnects with `?last_event_id=` missed (issue 4, item 2), read from the
// organization's bounded history on the bus. Either every event after that id, in order, or a
// reason why the gateway cannot promise that; there is no partial answer, because the socket
// then gets a `resync` event instead of a replay that silently skips something.

export interface MissedEvent {
  id: number;
  payload: BusPayload;
}

export type NoReplayReason =
  /** The history no longer reaches back to the event after the id (or never knew the id). */
  | 'notKept'
  /** More were missed than WS_REPLAY_MAX_EVENTS. */
  | 'tooMany'
  /** The read failed or took longer than WS_REPLAY_TIMEOUT_MS (Redis down or slow). */
  | 'unavailable';

export type MissedEvents =
  | { replay: true; events: MissedEvent[] }
  | {
      replay: false;
      reason: NoReplayReason;
      error?: unknown;
      /**
       * notKept only: the history holds nothing at all after the id (a Redis that restarted
       * empty, or one behind it), rather than starting after a gap.
       */
      nothingAfter?: boolean;
    };

export interface ReadMissedOptions {
  maxEvents: number;
  timeoutMs: number;
  /** Events asked for per read; a page costs one Redis round trip (XRANGE … COUNT). */
  pageSize?: number;
}

export const DEFAULT_PAGE_SIZE = 250;

/** Reads what came after `afterId` on the channel, page by page, within one deadline. Never rejects. */
export async function readMissed(
  history: EventHistory,
  channel: string,
  afterId: number,
  options: ReadMissedOptions,
): Promise<MissedEvents> {
  const abandoned = { value: false };
  try {
    return await withTimeout(readPages(history, channel, afterId, options, abandoned), options.timeoutMs);
  } catch (error) {
    abandoned.value = true;
    return { replay: false, reason: 'unavailable', error };
  }
}

async function readPages(
  history: EventHistory,
  channel: string,
  afterId: number,
  { maxEvents, pageSize = DEFAULT_PAGE_SIZE }: ReadMissedOptions,
  abandoned: { value: boolean },
): Promise<MissedEvents> {
  const events: MissedEvent[] = [];
  let after = afterId;
  // After the deadline nobody waits for the rest: stop asking Redis for it.
  while (!abandoned.value) {
    // One more than allowed, so that "exactly maxEvents missed" and "more" are told apart.
    const wanted = Math.min(pageSize, maxEvents + 1 - events.length);
    let page = await history.since(channel, after, wanted);
    // An empty read that says "incomplete" may have raced an append: RedisBus reads the range,
    // then the latest id, in two round trips, so an event added in between makes a reader that
    // is up to date look behind. Asked again, such a read finds that event; a real gap stays.
    if (!page.complete && page.events.length === 0) page = await history.since(channel, after, wanted);
    // Each page must start right after the previous one: the history may be trimmed between pages.
    if (!page.complete) {
      return { replay: false, reason: 'notKept', nothingAfter: events.length === 0 && page.events.length === 0 };
    }
    if (events.length + page.events.length > maxEvents) return { replay: false, reason: 'tooMany' };
    for (const event of page.events) events.push(event);
    const last = page.events.at(-1);
    if (page.events.length < wanted || last === undefined) return { replay: true, events };
    after = last.id;
  }
  return { replay: false, reason: 'unavailable' };
}

/**
 * Shares one read among callers asking for the same page at the same time: after a gateway
 * restart, an organization's sockets reconnect together, mostly with the same last id, and
 * should cost Redis (and this process's memory) one read, not one per socket.
 */
export class SharedHistoryReads implements EventHistory {
  private readonly inFlight = new Map<string, Promise<HistoryRead>>();

  constructor(private readonly history: EventHistory) {}

  since(channel: string, afterId: number, limit: number): Promise<HistoryRead> {
    const key = `${afterId} ${limit} ${channel}`;
    let read = this.inFlight.get(key);
    if (!read) {
      read = this.history.since(channel, afterId, limit).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, read);
    }
    return read;
  }

  latestId(channel: string): Promise<number | undefined> {
    return this.history.latestId(channel);
  }

  /** Reads in flight (a gauge). */
  get size(): number {
    return this.inFlight.size;
  }
}
