import { encodeResync, envelopeId, withTimeout, type BusPayload, type EventHistory } from '@helpdesk/shared';
import type { Logger } from 'pino';
import { readMissed, type MissedEvent, type MissedEvents, type NoReplayReason } from './missed-events.js';

// Everything the bus delivers for an organization passes through here on its way to the
// organization's uWS topic (issue 4, item 2; ARCHITECTURE.md, "Reliability, by design"):
//
// - Duplicates are dropped by id. The api's relay may publish an event again after a failure;
//   ids of one organization only grow, so an id at or below the last one forwarded to the topic
//   was forwarded already. Payloads without an id (older publishers) pass unchanged.
//
// - A socket that reconnects with `?last_event_id=N` is not subscribed to the topic at first. The
//   organization's bus subscription is held before its history is read (the upgrade waits for
//   it), so every event is either in what the read returns or delivered live after it. Live
//   events of the topic are buffered for the socket while the history is read and sent (sent
//   paced by drain, so that a long replay does not trip the slow-consumer limit by itself). The
//   history goes out first, then the buffered events with a higher id than the last one sent;
//   the last of those frames and the subscription happen in one synchronous step, so nothing
//   can arrive in between.
//
//   One case needs more: the history may hold an event whose live copy is still on its way (the
//   read and the subscription are separate Redis connections). Subscribing then would deliver it
//   twice. So the socket subscribes at once only if the topic already carried an id at least as
//   high as the last one it was sent; otherwise it waits, unsubscribed, and joins the topic right
//   before the first live event with a higher id is published.
//
// - A socket gets a `resync` event first, then live events, and nothing from the history when the
//   history cannot answer exactly (too old, too many, or unreadable: Redis down, or slower than
//   WS_REPLAY_TIMEOUT_MS). A replay is all or nothing; a resync tells the client to refetch over
//   REST, which covers whatever the gateway could not replay. (Closing with 1011 instead would
//   make every client of the organization reconnect in a loop against the Redis that failed.)
//
// - After the bus lost its connection and subscribed again (onResubscribed), whatever was
//   published in between reached nobody live; it is only in the history. Each topic that carried
//   an id (or has a floor) then holds back its live events, sends its SUBSCRIBE once more (its answer proves the
//   channel is delivered again, so everything later comes live), reads the history after the
//   topic's last forwarded id (or, if it forwarded none yet, after the organization's newest id
//   when its first socket arrived: learnFloor), publishes what is there in order, then the
//   held-back live events, all through the duplicate filter: nothing lost, repeated or reordered
//   at the seam. Replays in progress on the topic see these events like any others. When the
//   history no longer reaches back (or holds too many, or cannot be read in time, after
//   GAP_FILL_ATTEMPTS tries: the bus's connections come back one by one), the topic gets a
//   `resync` instead. When it holds nothing at all after that id (a Redis that restarted empty),
//   nothing is known to be missing: events the relay publishes again arrive live, and a client
//   that then sees an id skip reconnects with its last id (the reconnect recipe).
//
// Payloads are never parsed: `envelopeId` reads the id from the envelope's tail.

/** What the feed needs of a uWS WebSocket (narrowed so that it is tested without uWS). */
export interface FeedSocket {
  send(message: BusPayload, isBinary?: boolean): number;
  getBufferedAmount(): number;
  subscribe(topic: string): boolean;
  cork(callback: () => void): unknown;
}

/** History reads a gap fill tries, each within WS_REPLAY_TIMEOUT_MS, before it sends a resync. */
export const GAP_FILL_ATTEMPTS = 4;

/** uWS's send() result when the frame was dropped: the socket is over its hard backpressure limit. */
const SEND_DROPPED = 2;

/** Sent entries of a live buffer kept before the array is compacted. */
const COMPACT_AFTER = 256;

export type ReplayCloseReason =
  /** Live events buffered during the replay went over WS_REPLAY_BUFFER_BYTES. */
  | 'bufferFull'
  /** uWS dropped a frame (its hard backpressure ceiling): the socket could not be kept gap-free. */
  | 'dropped'
  /** A bug: the replay threw. */
  | 'failed';

export interface ReplayStats {
  /** Sockets that asked for a replay. */
  started: number;
  /** Events sent from the history. */
  events: number;
  /** Sockets that got a resync instead of a replay, by reason. */
  resyncs: Record<NoReplayReason, number>;
}

export function emptyReplayStats(): ReplayStats {
  return { started: 0, events: 0, resyncs: { notKept: 0, tooMany: 0, unavailable: 0 } };
}

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
  /** Must close the socket now (ws.end); its close handler then calls left(). */
  close(socket: Socket, reason: ReplayCloseReason): void;
  stats: ReplayStats;
  gapStats: GapFillStats;
  /** Counted when a duplicate for the topic is dropped. */
  onDuplicate(topic: string): void;
  logger: Logger;
}

type Phase =
  /** The history read is in flight; live events are buffered. */
  | 'reading'
  /** History (or the resync frame), then buffered live events, are being sent, paced by drain. */
  | 'sending'
  /** All sent; not subscribed until the topic carries an id above the last one sent. */
  | 'waiting'
  /** Subscribed to the topic like any other socket. */
  | 'live'
  | 'closed';

interface Pending {
  id: number | undefined;
  payload: BusPayload;
}

interface Buffered extends Pending {
  bytes: number;
}

/** A topic filling its gap after the bus subscribed again; its live events wait here meanwhile. */
interface GapFill {
  /** The topic's last forwarded id when the fill started (forwarding waits until it ends). */
  afterId: number;
  /** Bumped when the bus subscribes again during the fill: only the newest read counts. */
  generation: number;
  live: Buffered[];
  liveBytes: number;
}

/** One socket's replay; kept in the socket's user data and handed back on drain and close. */
export class Replay<Socket extends FeedSocket> {
  phase: Phase = 'reading';
  /** The history read, or the resync frame, from `next` on still to send. */
  pending: Pending[] = [];
  next = 0;
  /** Live events of the topic that arrived meanwhile, from `liveNext` on still to send. */
  live: Buffered[] = [];
  liveNext = 0;
  liveBytes = 0;
  /** The highest id the socket has: its last_event_id, then each id sent to it. */
  lastSent: number;
  resync = false;

  constructor(
    readonly socket: Socket,
    readonly topic: string,
    readonly lastEventId: number,
  ) {
    this.lastSent = lastEventId;
  }
}

export class TopicFeed<Socket extends FeedSocket> {
  private readonly lastIds = new Map<string, number>();
  /** Topics' newest id when their first socket arrived (learnFloor, installFloor). */
  private readonly floors = new Map<string, number>();
  private readonly replaying = new Map<string, Set<Replay<Socket>>>();
  private readonly filling = new Map<string, GapFill>();
  private closed = false;

  constructor(private readonly options: TopicFeedOptions<Socket>) {}

  /** The bus's message handler: every payload of every subscribed channel comes through here. */
  deliver(topic: string, payload: BusPayload): void {
    const id = envelopeId(payload);
    const fill = this.filling.get(topic);
    if (fill) this.holdBack(topic, fill, id, payload);
    else this.forward(topic, id, payload);
  }

  /**
   * The bus lost its connection and subscribed its channels again: fills each topic's gap from
   * the history (see the top of this file).
   */
  resubscribed(): void {
    if (this.closed) return;
    // From the last id forwarded, or, for a topic that carried none yet, from its floor.
    const from = new Map([...this.floors, ...this.lastIds]);
    for (const [topic, afterId] of from) {
      let fill = this.filling.get(topic);
      // A fill still running reads again: the bus may have missed more since it started.
      if (fill) fill.generation += 1;
      else this.filling.set(topic, (fill = { afterId, generation: 0, live: [], liveBytes: 0 }));
      this.options.gapStats.started += 1;
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
    if (this.closed) return;
    this.floors.set(topic, Math.min(floor, this.floors.get(topic) ?? Infinity));
  }

  /** The gateway is closing: fills in flight are dropped and nothing is published any more. */
  close(): void {
    this.closed = true;
    this.filling.clear();
  }

  /**
   * Starts replaying to a socket that just opened on the topic, unsubscribed, with the
   * organization's bus subscription already held. Returns the replay for drained() and left().
   */
  replay(socket: Socket, topic: string, lastEventId: number): Replay<Socket> {
    const replay = new Replay(socket, topic, lastEventId);
    let replays = this.replaying.get(topic);
    if (!replays) this.replaying.set(topic, (replays = new Set()));
    replays.add(replay);
    this.options.stats.started += 1;
    const { history, maxEvents, timeoutMs } = this.options;
    readMissed(history, topic, lastEventId, { maxEvents, timeoutMs })
      .then((missed) => this.historyRead(replay, missed))
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, topic }, 'replay failed');
        if (replay.phase !== 'closed') this.options.close(socket, 'failed');
      });
    return replay;
  }

  /** The socket's backpressure drained some: send more of its replay. */
  drained(replay: Replay<Socket>): void {
    if (replay.phase !== 'sending') return;
    if (replay.socket.getBufferedAmount() < this.options.sendBelowBufferedBytes) this.flush(replay);
  }

  /** The socket closed (its close handler); never touch it again. */
  left(replay: Replay<Socket>): void {
    if (replay.phase !== 'live' && replay.phase !== 'closed') this.stopTracking(replay);
    replay.phase = 'closed';
    replay.pending = [];
    replay.live = [];
  }

  /** The topic's last socket left: its last id need not be kept, nor its gap filled. */
  forget(topic: string): void {
    this.lastIds.delete(topic);
    this.floors.delete(topic);
    this.filling.delete(topic);
  }

  /** Sockets whose replay has not yet joined the topic (a gauge). */
  replayingSockets(): number {
    let count = 0;
    for (const replays of this.replaying.values()) count += replays.size;
    return count;
  }

  /** Through the duplicate filter to the topic and its replays; false when it was a duplicate. */
  private forward(topic: string, id: number | undefined, payload: BusPayload): boolean {
    if (this.closed) return false;
    if (id !== undefined && this.options.hosts(topic)) {
      const last = this.lastIds.get(topic);
      if (last !== undefined && id <= last) {
        this.options.onDuplicate(topic);
        return false;
      }
      this.lastIds.set(topic, id);
    }
    const replays = this.replaying.get(topic);
    // A replay may close its socket here, which deletes it from the set: safe while iterating.
    if (replays) for (const replay of replays) this.offer(replay, id, payload);
    this.options.publish(topic, payload);
    return true;
  }

  private holdBack(topic: string, fill: GapFill, id: number | undefined, payload: BusPayload): void {
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    fill.live.push({ id, payload, bytes });
    fill.liveBytes += bytes;
    if (fill.liveBytes > this.options.bufferBytes) this.endFill(topic, fill, [], 'bufferFull');
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
    const stats = this.options.gapStats;
    if (resync !== undefined) {
      stats.resyncs[resync] += 1;
      this.forward(topic, undefined, encodeResync(fill.afterId));
    }
    for (const event of missing) if (this.forward(topic, event.id, event.payload)) stats.events += 1;
    for (const event of fill.live) this.forward(topic, event.id, event.payload);
  }

  private historyRead(replay: Replay<Socket>, missed: MissedEvents): void {
    if (replay.phase === 'closed') return;
    if (missed.replay) {
      replay.pending = missed.events;
    } else {
      replay.resync = true;
      replay.pending = [{ id: undefined, payload: encodeResync(replay.lastEventId) }];
      this.options.stats.resyncs[missed.reason] += 1;
      this.options.logger.debug(
        { topic: replay.topic, lastEventId: replay.lastEventId, reason: missed.reason, err: missed.error },
        'resync instead of replay',
      );
    }
    replay.phase = 'sending';
    this.flush(replay);
  }

  private offer(replay: Replay<Socket>, id: number | undefined, payload: BusPayload): void {
    switch (replay.phase) {
      case 'reading':
      case 'sending': {
        const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
        replay.live.push({ id, payload, bytes });
        replay.liveBytes += bytes;
        if (replay.liveBytes > this.options.bufferBytes) this.options.close(replay.socket, 'bufferFull');
        return;
      }
      case 'waiting':
        if (id === undefined) {
          if (replay.socket.send(payload, false) === SEND_DROPPED) this.options.close(replay.socket, 'dropped');
        } else if (id > replay.lastSent) {
          // Joins right before this payload is published to the topic, so it gets it from there.
          this.join(replay);
        }
        return;
      case 'live':
      case 'closed':
        return;
    }
  }

  /** Sends what the buffer allows; when all is sent, joins the topic in the same synchronous step. */
  private flush(replay: Replay<Socket>): void {
    const outcome = corked(replay.socket, () => this.send(replay));
    // Writing out at uncork may have failed and closed the socket already.
    if (replay.phase === 'closed') return;
    switch (outcome) {
      case 'paused':
        // drained() resumes; meanwhile live events keep being buffered.
        if (replay.liveNext >= COMPACT_AFTER) {
          replay.live.splice(0, replay.liveNext);
          replay.liveNext = 0;
        }
        return;
      case 'dropped':
        this.options.close(replay.socket, 'dropped');
        return;
      case 'sent':
        this.sent(replay);
        return;
    }
  }

  private send(replay: Replay<Socket>): 'paused' | 'sent' | 'dropped' {
    const { socket } = replay;
    const below = this.options.sendBelowBufferedBytes;
    while (replay.next < replay.pending.length) {
      if (socket.getBufferedAmount() >= below) return 'paused';
      const event = replay.pending[replay.next]!;
      replay.next += 1;
      if (socket.send(event.payload, false) === SEND_DROPPED) return 'dropped';
      if (event.id !== undefined) {
        replay.lastSent = event.id;
        this.options.stats.events += 1;
      }
    }
    replay.pending = [];
    replay.next = 0;
    while (replay.liveNext < replay.live.length) {
      if (socket.getBufferedAmount() >= below) return 'paused';
      const event = replay.live[replay.liveNext]!;
      replay.liveNext += 1;
      replay.liveBytes -= event.bytes;
      if (event.id !== undefined) {
        // After a resync the client starts over from live events: it keeps every one of them
        // (even below its old last id, which may come from before an id reset).
        if (!replay.resync && event.id <= replay.lastSent) continue;
        replay.lastSent = event.id;
      }
      if (socket.send(event.payload, false) === SEND_DROPPED) return 'dropped';
    }
    replay.live = [];
    replay.liveNext = 0;
    return 'sent';
  }

  /** Everything was sent: join the topic now if that cannot repeat an event, or wait. */
  private sent(replay: Replay<Socket>): void {
    const forwarded = this.lastIds.get(replay.topic);
    // After a resync nothing from the history was sent, and every buffered event came through
    // the duplicate filter, so the topic can only carry newer ones. Otherwise, any event up to
    // the last one sent that is still to come live would be a duplicate, unless the topic has
    // carried that id already (ids come in order).
    if (replay.resync || (forwarded !== undefined && forwarded >= replay.lastSent)) this.join(replay);
    else replay.phase = 'waiting';
  }

  private join(replay: Replay<Socket>): void {
    replay.socket.subscribe(replay.topic);
    this.stopTracking(replay);
    replay.phase = 'live';
  }

  private stopTracking(replay: Replay<Socket>): void {
    const replays = this.replaying.get(replay.topic);
    if (!replays?.delete(replay)) return;
    if (replays.size === 0) this.replaying.delete(replay.topic);
  }
}

/** Runs `write` corked (its sends leave in one syscall) and returns what it returned. */
function corked<T>(socket: FeedSocket, write: () => T): T {
  let result: { value: T } | undefined;
  socket.cork(() => {
    result = { value: write() };
  });
  if (!result) throw new Error('cork() did not run its callback');
  return result.value;
}
