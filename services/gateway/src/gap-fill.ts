import { encodeResync, withTimeout, type BusPayload, type EventHistory } from '@helpdesk/shared';
import type { Logger } from 'pino';
import { heldPayload, type HeldPayload } from './held-payload.js';
import { readMissed, type MissedEvent, type MissedEvents, type NoReplayReason } from './missed-events.js';

// After the bus lost its connection and subscribed again (resubscribed), whatever was published in
// between reached nobody live; it is only in the history. Each topic that carried an id (or has a
// floor) then holds back its live events, sends its SUBSCRIBE once more (its answer proves the
// channel is delivered again, so everything later comes live), reads the history after the topic's
// last forwarded id (or, if it forwarded none yet, after the organization's newest id when its
// first socket arrived: learnFloor), publishes what is there in order, then the held-back live
// events, all through the duplicate filter: nothing lost, repeated or reordered at the seam.
// Replays in progress on the topic see these events like any others. When the history no longer
// reaches back (or holds too many, or cannot be read in time, after GAP_FILL_ATTEMPTS tries: the
// bus's connections come back one by one), the topic gets a `resync` instead. When it holds
// nothing at all after that id (a Redis that restarted empty), nothing is known to be missing:
// events the relay publishes again arrive live, and a client that then sees an id skip reconnects
// with its last id (the reconnect recipe).

/** History reads a gap fill tries, each within WS_REPLAY_TIMEOUT_MS, before it sends a resync. */
export const GAP_FILL_ATTEMPTS = 4;

export type GapResyncReason =
  | NoReplayReason
  /** Live events held back during the fill went over WS_REPLAY_BUFFER_BYTES. */
  | 'bufferFull';

export interface GapFillStats {
  /** Topics whose history was read after the bus subscribed again. */
  started: number;
  /** Events published to topics from the history (some may also have come live meanwhile). */
  events: number;
  /** Topics sent a resync instead, by reason. */
  resyncs: Record<GapResyncReason, number>;
}

export function emptyGapFillStats(): GapFillStats {
  return { started: 0, events: 0, resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 } };
}

export interface GapFillOptions {
  history: EventHistory;
  /** WS_REPLAY_MAX_EVENTS */
  maxEvents: number;
  /** WS_REPLAY_TIMEOUT_MS */
  timeoutMs: number;
  /** WS_REPLAY_BUFFER_BYTES: live bytes a topic holds back while it fills. */
  bufferBytes: number;
  /**
   * Sends the topic's SUBSCRIBE once more and resolves once the bus answered (true), or at once
   * with false when the topic is no longer held (OrganizationTopics.reconfirm).
   */
  confirmSubscribed(topic: string): Promise<boolean>;
  /** Through the duplicate filter to the topic; false when it was a duplicate. */
  forward(topic: string, id: number | undefined, payload: BusPayload): boolean;
  stats: GapFillStats;
  logger: Logger;
}

/** A topic filling its gap after the bus subscribed again; its live events wait here meanwhile. */
interface GapFill {
  /** The topic's last forwarded id when the fill started (forwarding waits until it ends). */
  afterId: number;
  /** Bumped when the bus subscribes again during the fill: only the newest read counts. */
  generation: number;
  live: HeldPayload[];
  liveBytes: number;
}

export class GapFills {
  private readonly filling = new Map<string, GapFill>();
  /** Topics' newest id when their first socket arrived (learnFloor, installFloor). */
  private readonly floors = new Map<string, number>();

  constructor(private readonly options: GapFillOptions) {}

  /** Holds the payload back while its topic fills a gap; false when the topic is not filling. */
  holdBack(topic: string, id: number | undefined, payload: BusPayload): boolean {
    const fill = this.filling.get(topic);
    if (!fill) return false;
    const held = heldPayload(id, payload);
    fill.live.push(held);
    fill.liveBytes += held.bytes;
    if (fill.liveBytes > this.options.bufferBytes) this.endFill(topic, fill, [], 'bufferFull');
    return true;
  }

  /**
   * The bus subscribed again: fills the gap of each topic from its last forwarded id (`lastIds`)
   * or, for a topic that carried none yet, from its floor.
   */
  resubscribed(lastIds: ReadonlyMap<string, number>): void {
    const from = new Map([...this.floors, ...lastIds]);
    for (const [topic, afterId] of from) {
      let fill = this.filling.get(topic);
      // A fill still running reads again: the bus may have missed more since it started.
      if (fill) fill.generation += 1;
      else this.filling.set(topic, (fill = { afterId, generation: 0, live: [], liveBytes: 0 }));
      this.options.stats.started += 1;
      const running = fill;
      this.fillGap(topic, running, running.generation).catch((error: unknown) => {
        this.options.logger.error({ err: error, topic }, 'gap fill failed');
        if (this.filling.get(topic) === running) this.endFill(topic, running, [], 'unavailable');
      });
    }
  }

  /**
   * Reads the newest id the topic ever carried, before the gateway subscribes to it for its first
   * socket: every event a socket of the topic can miss while the bus is away has a higher id.
   * The socket installs it when it opens (installFloor). Without it, a topic that carried no event
   * yet when the bus dropped (say, the relay had not published anything since the socket opened)
   * would have nowhere to fill its gap from. Undefined when the bus cannot say; never rejects.
   */
  async learnFloor(topic: string): Promise<number | undefined> {
    try {
      return (await withTimeout(this.options.history.latestId(topic), this.options.timeoutMs)) ?? 0;
    } catch (error) {
      this.options.logger.debug({ err: error, topic }, 'no floor for the topic');
      return undefined;
    }
  }

  /** A socket with a floor opened on the topic; kept until forget(), the lowest one wins. */
  installFloor(topic: string, floor: number): void {
    this.floors.set(topic, Math.min(floor, this.floors.get(topic) ?? Infinity));
  }

  /** The topic's last socket left: no floor kept, no gap filled. */
  forget(topic: string): void {
    this.floors.delete(topic);
    this.filling.delete(topic);
  }

  /** Fills in flight are dropped. */
  close(): void {
    this.filling.clear();
  }

  private async fillGap(topic: string, fill: GapFill, generation: number): Promise<void> {
    const current = () => this.filling.get(topic) === fill && fill.generation === generation;
    let missed: MissedEvents | 'released';
    // The bus's connections come back one by one after an outage: the subscription may be back
    // while the history's connection still waits to reconnect. Reading again then beats telling
    // every client to refetch.
    for (let attempt = 1; ; attempt += 1) {
      missed = await this.readGap(topic, fill, current);
      if (!current()) return;
      if (missed === 'released' || missed.replay || missed.reason !== 'unavailable') break;
      if (attempt >= GAP_FILL_ATTEMPTS) break;
      this.options.logger.debug({ topic, attempt, err: missed.error }, 'gap fill: history unavailable, reading again');
    }
    if (missed === 'released') {
      this.endFill(topic, fill, [], undefined);
      return;
    }
    if (missed.replay) {
      this.endFill(topic, fill, missed.events, undefined);
    } else if (missed.reason === 'notKept' && missed.nothingAfter) {
      this.options.logger.debug({ topic, afterId: fill.afterId }, 'gap fill: the history holds nothing after the id');
      this.endFill(topic, fill, [], undefined);
    } else {
      this.options.logger.debug(
        { topic, afterId: fill.afterId, reason: missed.reason, err: missed.error },
        'gap fill: resync instead',
      );
      this.endFill(topic, fill, [], missed.reason);
    }
  }

  /**
   * What the topic missed after the fill's id; 'released' when no socket holds the topic any
   * more (or the fill is no longer current).
   */
  private async readGap(topic: string, fill: GapFill, current: () => boolean): Promise<MissedEvents | 'released'> {
    const { history, maxEvents, timeoutMs } = this.options;
    try {
      // The history read must start after the channel is delivered again, or an event published
      // in between would be in neither. Bounded like the read: the bus may be gone again.
      if (!(await withTimeout(this.options.confirmSubscribed(topic), timeoutMs))) return 'released';
      // A fill that ended meanwhile (or was restarted) reads nothing: its caller drops the answer.
      if (!current()) return 'released';
      return await readMissed(history, topic, fill.afterId, { maxEvents, timeoutMs });
    } catch (error) {
      return { replay: false, reason: 'unavailable', error };
    }
  }

  /** Publishes the missing events (or a resync), then the live events held back, and ends the fill. */
  private endFill(topic: string, fill: GapFill, missing: MissedEvent[], resync: GapResyncReason | undefined): void {
    this.filling.delete(topic);
    const { options } = this;
    if (resync !== undefined) {
      options.stats.resyncs[resync] += 1;
      options.forward(topic, undefined, encodeResync(fill.afterId));
    }
    for (const event of missing) if (options.forward(topic, event.id, event.payload)) options.stats.events += 1;
    for (const event of fill.live) options.forward(topic, event.id, event.payload);
  }
}
