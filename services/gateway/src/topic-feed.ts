import { envelopeId, type BusPayload, type EventHistory } from '@helpdesk/shared';
import type { Logger } from 'pino';
import { DuplicateFilter } from './duplicate-filter.js';
import { emptyCatchUpStats, GapFills, type CatchUpStats, type GapFillStats } from './gap-fill.js';
import { Replay, type FeedSocket, type ReplayCloseReason, type ReplayOptions, type ReplayStats } from './replay.js';

// Everything the bus delivers for an organization passes through here on its way to the
// organization's uWS topic (issue 4, item 2; ARCHITECTURE.md, "Reliability, by design"). The feed
// only routes; each concern is a module of its own:
//
// - duplicate-filter.ts: an id the topic carried already is dropped.
// - replay.ts: a socket that reconnects with `?last_event_id=N` is sent what it missed, then joins
//   the topic; live events are offered to it meanwhile.
// - gap-fill.ts: after the bus lost its connection and subscribed again, each topic holds its live
//   events back and publishes what the history kept of the gap first. A topic whose first socket
//   opened before its subscription was confirmed catches up the same way.
//
// Bus payload ─▶ gap fill holds it back? ─no─▶ duplicate? ─no─▶ each replay not yet live, then
//                        │                                      the topic (app.publish)
//                        ╰─yes: published through the same path when the fill ends
//
// Payloads are never parsed: `envelopeId` reads the id from the envelope's tail.

export {
  emptyCatchUpStats,
  emptyGapFillStats,
  GAP_FILL_ATTEMPTS,
  type CatchUpStats,
  type GapFillStats,
  type GapResyncReason,
} from './gap-fill.js';
export { emptyReplayStats, Replay, type FeedSocket, type ReplayCloseReason, type ReplayStats } from './replay.js';

export interface TopicFeedOptions<Socket extends FeedSocket> {
  history: EventHistory;
  /** WS_REPLAY_MAX_EVENTS */
  maxEvents: number;
  /** WS_REPLAY_TIMEOUT_MS */
  timeoutMs: number;
  /** WS_REPLAY_BUFFER_BYTES */
  bufferBytes: number;
  /**
   * Replay frames are sent while the socket buffers fewer bytes than this, and resumed at drain:
   * a long replay to a slow reader must not trip the slow-consumer limit by itself.
   */
  sendBelowBufferedBytes: number;
  /** Fans a payload out to the sockets subscribed to the topic (app.publish). */
  publish(topic: string, payload: BusPayload): void;
  /** Whether the topic has open sockets; the last id of a topic without any is not kept. */
  hosts(topic: string): boolean;
  /**
   * Sends the topic's SUBSCRIBE once more and resolves once the bus answered (true), or at once
   * with false when the topic is no longer held (OrganizationTopics.reconfirm).
   */
  confirmSubscribed(topic: string): Promise<boolean>;
  /** Must close the socket and call left() at once (see ReplayOptions.close). */
  close(socket: Socket, reason: ReplayCloseReason): void;
  stats: ReplayStats;
  gapStats: GapFillStats;
  /** Catch-ups of topics whose first socket opened before their subscription (not kept when absent). */
  catchUpStats?: CatchUpStats;
  /** Counted when a duplicate for the topic is dropped. */
  onDuplicate(topic: string): void;
  logger: Logger;
}

export class TopicFeed<Socket extends FeedSocket> {
  private readonly filter: DuplicateFilter;
  private readonly gaps: GapFills;
  /** Replays not yet live, by topic: each is offered the topic's payloads. */
  private readonly replaying = new Map<string, Set<Replay<Socket>>>();
  private readonly replayOptions: ReplayOptions<Socket>;
  private closed = false;

  constructor(private readonly options: TopicFeedOptions<Socket>) {
    const { history, maxEvents, timeoutMs, bufferBytes, logger } = options;
    this.filter = new DuplicateFilter((topic) => options.hosts(topic));
    this.gaps = new GapFills({
      history,
      maxEvents,
      timeoutMs,
      bufferBytes,
      confirmSubscribed: (topic) => options.confirmSubscribed(topic),
      forward: (topic, id, payload) => this.forward(topic, id, payload),
      released: (topic) => {
        // A replay may join, which deletes it from the set: safe while iterating.
        for (const replay of this.replaying.get(topic) ?? []) replay.joinAfterFill();
      },
      stats: options.gapStats,
      catchUpStats: options.catchUpStats ?? emptyCatchUpStats(),
      logger,
    });
    this.replayOptions = {
      history,
      maxEvents,
      timeoutMs,
      bufferBytes,
      sendBelowBufferedBytes: options.sendBelowBufferedBytes,
      close: (socket, reason) => options.close(socket, reason),
      lastForwarded: (topic) => this.filter.lastId(topic),
      filling: (topic) => this.gaps.isFilling(topic),
      untrack: (replay) => this.untrack(replay),
      stats: options.stats,
      logger,
    };
  }

  /** The bus's message handler: every payload of every subscribed channel comes through here. */
  deliver(topic: string, payload: BusPayload): void {
    const id = envelopeId(payload);
    if (!this.gaps.holdBack(topic, id, payload)) this.forward(topic, id, payload);
  }

  /** The bus lost its connection and subscribed its channels again: fills each topic's gap. */
  resubscribed(): void {
    if (this.closed) return;
    this.gaps.resubscribed(this.filter.lastIdsByTopic());
  }

  /**
   * A socket opened on the topic before the bus confirmed the topic's subscription: its live events
   * are held back until what was published meanwhile is known, and that goes out first (see
   * GapFills.catchUp). `floor` and the SUBSCRIBE behind `subscribed` were both asked for before the
   * socket's 101.
   */
  catchUp(topic: string, floor: Promise<number | undefined>, subscribed: Promise<boolean>): void {
    if (this.closed) return;
    this.gaps.catchUp(topic, floor, subscribed);
  }

  /** See GapFills.learnFloor. */
  learnFloor(topic: string): Promise<number | undefined> {
    return this.gaps.learnFloor(topic);
  }

  /** A socket with a floor opened on the topic; kept until forget(), the lowest one wins. */
  installFloor(topic: string, floor: number): void {
    if (this.closed) return;
    this.gaps.installFloor(topic, floor);
  }

  /** The gateway is closing: fills in flight are dropped and nothing is published any more. */
  close(): void {
    this.closed = true;
    this.gaps.close();
  }

  /**
   * Starts replaying to a socket that just opened on the topic, unsubscribed, with the
   * organization's bus subscription held (or being made, and caught up: catchUp). Returns the
   * replay for drained() and left().
   */
  replay(socket: Socket, topic: string, lastEventId: number): Replay<Socket> {
    const replay = new Replay(socket, topic, lastEventId, this.replayOptions, this.gaps.newestKnownId(topic));
    this.track(replay);
    replay.start();
    return replay;
  }

  /**
   * A socket without last_event_id opened on the topic: subscribed now, unless the topic fills a
   * gap; then it stands by, and gets nothing the fill held back from before it opened (replay.ts).
   * Returns what stands by for it, for drained() and left().
   */
  join(socket: Socket, topic: string): Replay<Socket> | undefined {
    const newestId = this.gaps.newestKnownId(topic);
    if (newestId === undefined) {
      socket.subscribe(topic);
      return undefined;
    }
    const standingBy = Replay.standingBy(socket, topic, newestId, this.replayOptions);
    this.track(standingBy);
    return standingBy;
  }

  /** The socket's backpressure drained some: send more of its replay. */
  drained(replay: Replay<Socket>): void {
    replay.drained();
  }

  /** The socket closed (its close handler); never touch it again. */
  left(replay: Replay<Socket>): void {
    replay.left();
  }

  /** The topic's last socket left: its last id need not be kept, nor its gap filled. */
  forget(topic: string): void {
    this.filter.forget(topic);
    this.gaps.forget(topic);
  }

  /** Sockets not yet joined to their topic: replaying, or standing by during a fill (a gauge). */
  replayingSockets(): number {
    let count = 0;
    for (const replays of this.replaying.values()) count += replays.size;
    return count;
  }

  /** Through the duplicate filter to the topic and its replays; false when it was a duplicate. */
  private forward(topic: string, id: number | undefined, payload: BusPayload): boolean {
    if (this.closed) return false;
    if (!this.filter.admit(topic, id)) {
      this.options.onDuplicate(topic);
      return false;
    }
    const replays = this.replaying.get(topic);
    // A replay may close its socket here, which deletes it from the set: safe while iterating.
    if (replays) for (const replay of replays) replay.offer(id, payload);
    this.options.publish(topic, payload);
    return true;
  }

  private track(replay: Replay<Socket>): void {
    let replays = this.replaying.get(replay.topic);
    if (!replays) this.replaying.set(replay.topic, (replays = new Set()));
    replays.add(replay);
  }

  private untrack(replay: Replay<Socket>): void {
    const replays = this.replaying.get(replay.topic);
    if (!replays?.delete(replay)) return;
    if (replays.size === 0) this.replaying.delete(replay.topic);
  }
}
