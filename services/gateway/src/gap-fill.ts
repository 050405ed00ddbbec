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
//
// A catch-up is the same fill for a topic whose first socket here opened before the bus confirmed
// the topic's subscription (the upgrade does not wait for it: issue 13, item 14). Before the 101
// went out, the organization's newest id (the floor) was read and the SUBSCRIBE sent, so every
// event the socket is owed has a higher id, and came live unless it was published before the
// SUBSCRIBE took effect. Once the subscription is confirmed, the newest id is read again: when it
// is the floor, nothing was published meanwhile. Otherwise the SUBSCRIBE is sent once more, whose
// answer comes after every live copy of those events (one connection, in order); only when one of
// them is missing among the held-back events is the history read. So a catch-up costs a read of
// the newest id, and a history read only when the bus really missed something. When the bus
// reconnects during a catch-up, the floor or the SUBSCRIBE may have been answered only after the
// reconnect, after events the socket is owed: nothing tells, so that topic gets a `resync`.

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

export interface CatchUpStats {
  /** Topics whose first socket opened before the bus confirmed their subscription. */
  started: number;
  /** Of those, topics that missed events until then and read them from the history. */
  reads: number;
  /** Events published to topics from the history. */
  events: number;
  /** Topics sent a resync instead, by reason. */
  resyncs: Record<GapResyncReason, number>;
}

export function emptyCatchUpStats(): CatchUpStats {
  return { started: 0, reads: 0, events: 0, resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 } };
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
  /** The topic's fill ended and everything it held went on (sockets standing by may join). */
  released(topic: string): void;
  stats: GapFillStats;
  catchUpStats: CatchUpStats;
  logger: Logger;
}

/** A topic filling its gap (or catching up); its live events wait here meanwhile. */
interface GapFill {
  /**
   * The topic's last forwarded id when the fill started (forwarding waits until it ends); for a
   * catch-up, its floor, undefined until read.
   */
  afterId: number | undefined;
  /** Bumped when the bus subscribes again during the fill: only the newest read counts. */
  generation: number;
  live: HeldPayload[];
  liveBytes: number;
  /** Where its events and resyncs are counted: gap fills' or catch-ups'. */
  stats: Pick<GapFillStats, 'events' | 'resyncs'>;
  /** Started as a catch-up (a resubscribe may have turned it into a gap fill since). */
  catchUp: boolean;
  /**
   * The bus reconnected while the fill was catching up: its floor or its SUBSCRIBE may have been
   * answered only after the reconnect, after events the socket is owed. It ends with a resync.
   */
  uncertain: boolean;
}

export class GapFills {
  private readonly filling = new Map<string, GapFill>();
  /** Topics' newest id when their first socket arrived (learnFloor, installFloor). */
  private readonly floors = new Map<string, number>();

  constructor(private readonly options: GapFillOptions) {}

  /**
   * For a socket opening on the topic now: undefined when the topic is not filling; otherwise the
   * newest id the fill knows of (its floor or last forwarded id, or a held-back one), up to which
   * what it releases predates the socket (-Infinity when it knows none yet).
   */
  newestKnownId(topic: string): number | undefined {
    const fill = this.filling.get(topic);
    if (!fill) return undefined;
    let newest = fill.afterId ?? -Infinity;
    for (const { id } of fill.live) if (id !== undefined && id > newest) newest = id;
    return newest;
  }

  /** Whether the topic fills a gap (or catches up) now. */
  isFilling(topic: string): boolean {
    return this.filling.has(topic);
  }

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
    for (const fill of this.filling.values()) if (fill.catchUp) fill.uncertain = true;
    const from = new Map([...this.floors, ...lastIds]);
    for (const [topic, afterId] of from) {
      let fill = this.filling.get(topic);
      // A fill still running reads again: the bus may have missed more since it started. (A
      // catch-up that has not read its floor yet goes on from this id instead.)
      if (fill) {
        fill.generation += 1;
        fill.afterId ??= afterId;
      } else {
        fill = newFill(afterId, this.options.stats, false);
        this.filling.set(topic, fill);
      }
      this.options.stats.started += 1;
      const running = fill;
      const generation = fill.generation;
      this.run(topic, running, () => this.fillGap(topic, running, generation, true));
    }
  }

  /**
   * A socket opened on the topic before the bus confirmed its subscription (see the top of this
   * file). `floor`: the newest id read before the socket's 101 (learnFloor); `subscribed`: whether
   * the SUBSCRIBE sent before the 101 succeeded (when it did not, the sockets waiting for it are
   * closed, and the topic forwards whatever it held back).
   */
  catchUp(topic: string, floor: Promise<number | undefined>, subscribed: Promise<boolean>): void {
    // A fill in progress covers this socket too: it started from an id no higher than its floor.
    if (this.filling.has(topic)) return;
    const fill = newFill(undefined, this.options.catchUpStats, true);
    this.filling.set(topic, fill);
    this.options.catchUpStats.started += 1;
    this.run(topic, fill, () => this.catchUpFrom(topic, fill, floor, subscribed));
  }

  /**
   * Reads the newest id the topic ever carried, before the gateway subscribes to it for its first
   * socket: every event a socket of the topic can miss while the bus is away has a higher id.
   * Its catch-up installs it (installFloor). Without it, a topic that carried no event yet when
   * the bus dropped (say, the relay had not published anything since the socket opened) would
   * have nowhere to fill its gap from. Undefined when the bus cannot say; never rejects.
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

  /** Runs a fill; one that throws (a bug) ends with a resync rather than holding its topic back. */
  private run(topic: string, fill: GapFill, work: () => Promise<void>): void {
    work().catch((error: unknown) => {
      this.options.logger.error({ err: error, topic }, 'gap fill failed');
      if (this.filling.get(topic) === fill) this.endFill(topic, fill, [], 'unavailable');
    });
  }

  private async catchUpFrom(
    topic: string,
    fill: GapFill,
    floor: Promise<number | undefined>,
    subscribed: Promise<boolean>,
  ): Promise<void> {
    const current = () => this.filling.get(topic) === fill && fill.generation === 0;
    // Ended as soon as the SUBSCRIBE fails (its sockets are being closed): a socket that arrives
    // after that waits for the retry, and catches up on its own.
    if (!(await subscribed) || !current()) {
      if (current()) this.drop(topic, fill);
      return;
    }
    const afterId = await floor;
    if (!current()) return;
    if (afterId === undefined) {
      // Nothing tells what the socket is owed: events come live from here on (a history that
      // cannot say its newest id could not fill anything either).
      this.options.logger.warn({ topic }, 'catch-up: no floor; events published while subscribing may be missed');
      this.endFill(topic, fill, [], undefined);
      return;
    }
    fill.afterId = afterId;
    this.installFloor(topic, afterId);
    const latest = await this.learnFloor(topic);
    if (!current()) return;
    if (latest !== undefined && latest <= afterId) {
      this.endFill(topic, fill, [], undefined);
      return;
    }
    if (latest !== undefined && (await this.confirmed(topic)) && current()) {
      if (heldBackAll(fill.live, afterId, latest)) {
        this.endFill(topic, fill, [], undefined);
        return;
      }
    }
    if (!current()) return;
    this.options.catchUpStats.reads += 1;
    // The subscription was confirmed before this point: the read misses nothing it must cover.
    await this.fillGap(topic, fill, 0, false);
  }

  /** The topic's SUBSCRIBE sent again and answered; false when it failed, timed out or the topic is released. */
  private async confirmed(topic: string): Promise<boolean> {
    try {
      return await withTimeout(this.options.confirmSubscribed(topic), this.options.timeoutMs);
    } catch (error) {
      this.options.logger.debug({ err: error, topic }, 'catch-up: SUBSCRIBE not confirmed again; reading the history');
      return false;
    }
  }

  private async fillGap(topic: string, fill: GapFill, generation: number, confirm: boolean): Promise<void> {
    const current = () => this.filling.get(topic) === fill && fill.generation === generation;
    let missed: MissedEvents | 'released';
    // The bus's connections come back one by one after an outage: the subscription may be back
    // while the history's connection still waits to reconnect. Reading again then beats telling
    // every client to refetch.
    for (let attempt = 1; ; attempt += 1) {
      missed = await this.readGap(topic, fill, current, confirm);
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
  private async readGap(
    topic: string,
    fill: GapFill,
    current: () => boolean,
    confirm: boolean,
  ): Promise<MissedEvents | 'released'> {
    const { history, maxEvents, timeoutMs } = this.options;
    try {
      // The history read must start after the channel is delivered again, or an event published
      // in between would be in neither. Bounded like the read: the bus may be gone again.
      if (confirm && !(await withTimeout(this.options.confirmSubscribed(topic), timeoutMs))) return 'released';
      // A fill that ended meanwhile (or was restarted) reads nothing: its caller drops the answer.
      if (!current() || fill.afterId === undefined) return 'released';
      return await readMissed(history, topic, fill.afterId, { maxEvents, timeoutMs });
    } catch (error) {
      return { replay: false, reason: 'unavailable', error };
    }
  }

  /** Publishes the missing events (or a resync), then the live events held back, and ends the fill. */
  private endFill(topic: string, fill: GapFill, missing: MissedEvent[], resync: GapResyncReason | undefined): void {
    this.filling.delete(topic);
    const reason = resync ?? (fill.uncertain ? 'unavailable' : undefined);
    if (reason !== undefined) {
      fill.stats.resyncs[reason] += 1;
      // A catch-up that ends before its floor came: the client refetches everything.
      this.options.forward(topic, undefined, encodeResync(fill.afterId ?? 0));
    }
    for (const event of missing) if (this.options.forward(topic, event.id, event.payload)) fill.stats.events += 1;
    for (const event of fill.live) this.options.forward(topic, event.id, event.payload);
    this.options.released(topic);
  }

  /** Ends a catch-up whose SUBSCRIBE failed (its sockets are being closed); what it held back goes on. */
  private drop(topic: string, fill: GapFill): void {
    this.filling.delete(topic);
    for (const event of fill.live) this.options.forward(topic, event.id, event.payload);
    this.options.released(topic);
  }
}

function newFill(afterId: number | undefined, stats: GapFill['stats'], catchUp: boolean): GapFill {
  return { afterId, generation: 0, live: [], liveBytes: 0, stats, catchUp, uncertain: false };
}

/** Whether every id after `afterId` up to `latest` is among the held-back events. */
function heldBackAll(live: readonly HeldPayload[], afterId: number, latest: number): boolean {
  const ids = new Set<number>();
  for (const { id } of live) if (id !== undefined && id > afterId && id <= latest) ids.add(id);
  return ids.size === latest - afterId;
}
