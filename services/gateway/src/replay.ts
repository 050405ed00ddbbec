import { encodeResync, type BusPayload, type EventHistory } from '@helpdesk/shared';
import type { Logger } from 'pino';
import { heldPayload, type HeldPayload } from './held-payload.js';
import { readMissed, type MissedEvents, type NoReplayReason } from './missed-events.js';

// One socket that connected with `?last_event_id=N` (issue 4, item 2; ARCHITECTURE.md,
// "Reliability, by design"). It is not subscribed to its topic at first. The organization's bus
// subscription is held before its history is read, so every event is either in what the read
// returns or delivered live after it. (An organization's first socket here opens before that
// subscription is confirmed; its topic's catch-up, gap-fill.ts, then forwards what the bus
// missed meanwhile, from an id no higher than what this read can see: the floor was asked for
// first.) Live events of the topic are offered to the replay while the history is read and sent
// (sent paced by drain, so that a long replay does not trip the slow-consumer limit by itself).
// The history goes out first, then the buffered events with a higher id than the last one sent;
// the last of those frames and the subscription happen in one synchronous step, so nothing can
// arrive in between.
//
// One case needs more: the history may hold an event whose live copy is still on its way (the
// read and the subscription are separate Redis connections). Subscribing then would deliver it
// twice. So the socket subscribes at once only if the topic already carried an id at least as high
// as the last one it was sent; otherwise it waits, unsubscribed, and joins the topic right before
// the first live event with a higher id is published.
//
// The socket gets a `resync` event first, then live events, and nothing from the history when the
// history cannot answer exactly (too old, too many, or unreadable: Redis down, or slower than
// WS_REPLAY_TIMEOUT_MS). A replay is all or nothing; a resync tells the client to refetch over
// REST, which covers whatever the gateway could not replay. (Closing with 1011 instead would make
// every client of the organization reconnect in a loop against the Redis that failed.)
//
//   reading ──history read──▶ sending ──all sent──▶ live            (the topic carried that id)
//                               │  ▲                 ╰──▶ waiting ──a higher id comes──▶ live
//                               ╰──╯ paused until drain
//   any phase ──the socket closed (left)──▶ closed
//
// A socket that opens while its topic fills a gap (gap-fill.ts: a catch-up, or a fill after a
// resubscribe) must not get what the fill held back from before it opened. A replay started then
// ignores ids up to the topic's newest known id (`ignoreUpTo`); a socket without last_event_id
// stands by as a replay that starts out waiting, from that id. Neither joins the topic while the
// fill runs (its release is published there): they wait, and once the fill released everything
// (joinAfterFill) the one standing by joins, and a replay decides again.

/** What a replay needs of a uWS WebSocket (narrowed so that it is tested without uWS). */
export interface FeedSocket {
  send(message: BusPayload, isBinary?: boolean): number;
  getBufferedAmount(): number;
  subscribe(topic: string): boolean;
  cork(callback: () => void): unknown;
}

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

export interface ReplayOptions<Socket extends FeedSocket> {
  history: EventHistory;
  /** WS_REPLAY_MAX_EVENTS */
  maxEvents: number;
  /** WS_REPLAY_TIMEOUT_MS */
  timeoutMs: number;
  /** WS_REPLAY_BUFFER_BYTES */
  bufferBytes: number;
  /** Frames are sent while the socket buffers fewer bytes than this, and resumed at drain. */
  sendBelowBufferedBytes: number;
  /**
   * Must close the socket and stop it at once: left() is called before this returns (by its close
   * handler, or by the SocketCloser quieting it while its buffer empties).
   */
  close(socket: Socket, reason: ReplayCloseReason): void;
  /** The highest id forwarded to the topic so far (the duplicate filter's). */
  lastForwarded(topic: string): number | undefined;
  /** Whether the topic fills a gap now: what it releases may predate a socket that joins now. */
  filling(topic: string): boolean;
  /** The replay needs no more live events offered: it joined the topic, or its socket left. */
  untrack(replay: Replay<Socket>): void;
  stats: ReplayStats;
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

/** uWS's send() result when the frame was dropped: the socket is over its hard backpressure limit. */
const SEND_DROPPED = 2;

/** Sent entries of a live buffer kept before the array is compacted. */
const COMPACT_AFTER = 256;

/** One socket's replay; kept in the socket's user data and handed back on drain and close. */
export class Replay<Socket extends FeedSocket> {
  private phase: Phase = 'reading';
  /** The history read, or the resync frame, from `next` on still to send. */
  private pending: Pending[] = [];
  private next = 0;
  /** Live events of the topic that arrived meanwhile, from `liveNext` on still to send. */
  private live: HeldPayload[] = [];
  private liveNext = 0;
  private liveBytes = 0;
  /** The highest id the socket has: its last_event_id, then each id sent to it. */
  private lastSent: number;
  private resync = false;
  /** A socket without last_event_id standing by while its topic fills a gap. */
  private standingBy = false;
  /** All was sent while the topic filled a gap: the join is decided again once it ended. */
  private deferred = false;

  constructor(
    readonly socket: Socket,
    readonly topic: string,
    readonly lastEventId: number,
    private readonly options: ReplayOptions<Socket>,
    /** Offered ids up to this one predate the socket: a fill held them back (see above). */
    private readonly ignoreUpTo = -Infinity,
  ) {
    this.lastSent = lastEventId;
  }

  /**
   * A socket without last_event_id that opened while its topic fills a gap: off the topic, it
   * joins right before the first released id above `newestId`, or once the fill ended.
   */
  static standingBy<Socket extends FeedSocket>(
    socket: Socket,
    topic: string,
    newestId: number,
    options: ReplayOptions<Socket>,
  ): Replay<Socket> {
    const replay = new Replay(socket, topic, newestId, options);
    replay.phase = 'waiting';
    replay.standingBy = true;
    return replay;
  }

  /** Reads what the socket missed; what follows happens as the read answers. */
  start(): void {
    this.options.stats.started += 1;
    const { history, maxEvents, timeoutMs } = this.options;
    readMissed(history, this.topic, this.lastEventId, { maxEvents, timeoutMs })
      .then((missed) => this.historyRead(missed))
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, topic: this.topic }, 'replay failed');
        if (this.phase !== 'closed') this.options.close(this.socket, 'failed');
      });
  }

  /** A payload forwarded to the topic while the replay has not joined it. */
  offer(id: number | undefined, payload: BusPayload): void {
    if (id !== undefined && id <= this.ignoreUpTo) return;
    switch (this.phase) {
      case 'reading':
      case 'sending': {
        const held = heldPayload(id, payload);
        this.live.push(held);
        this.liveBytes += held.bytes;
        if (this.liveBytes > this.options.bufferBytes) this.options.close(this.socket, 'bufferFull');
        return;
      }
      case 'waiting':
        if (id === undefined) {
          if (this.socket.send(payload, false) === SEND_DROPPED) this.options.close(this.socket, 'dropped');
        } else if (this.resync || id > this.lastSent) {
          // Joins right before this payload is published to the topic, so it gets it from there.
          this.join();
        }
        return;
      case 'live':
      case 'closed':
        return;
    }
  }

  /** Its topic's fill released everything it held: a socket standing by joins the topic now. */
  joinAfterFill(): void {
    if (this.phase !== 'waiting') return;
    if (this.standingBy) {
      this.join();
    } else if (this.deferred) {
      this.deferred = false;
      this.sent();
    }
  }

  /** The socket's backpressure drained some: send more. */
  drained(): void {
    if (this.phase !== 'sending') return;
    if (this.socket.getBufferedAmount() < this.options.sendBelowBufferedBytes) this.flush();
  }

  /** The socket closed (its close handler); never touch it again. */
  left(): void {
    if (this.phase !== 'live' && this.phase !== 'closed') this.options.untrack(this);
    this.phase = 'closed';
    this.pending = [];
    this.live = [];
  }

  private historyRead(missed: MissedEvents): void {
    if (this.phase === 'closed') return;
    if (missed.replay) {
      this.pending = missed.events;
    } else {
      this.resync = true;
      this.pending = [{ id: undefined, payload: encodeResync(this.lastEventId) }];
      this.options.stats.resyncs[missed.reason] += 1;
      this.options.logger.debug(
        { topic: this.topic, lastEventId: this.lastEventId, reason: missed.reason, err: missed.error },
        'resync instead of replay',
      );
    }
    this.phase = 'sending';
    this.flush();
  }

  /** Sends what the buffer allows; when all is sent, joins the topic in the same synchronous step. */
  private flush(): void {
    const outcome = corked(this.socket, () => this.send());
    // Writing out at uncork may have failed and closed the socket already.
    if (this.phase === 'closed') return;
    switch (outcome) {
      case 'paused':
        // drained() resumes; meanwhile live events keep being buffered.
        if (this.liveNext >= COMPACT_AFTER) {
          this.live.splice(0, this.liveNext);
          this.liveNext = 0;
        }
        return;
      case 'dropped':
        this.options.close(this.socket, 'dropped');
        return;
      case 'sent':
        this.sent();
        return;
    }
  }

  private send(): 'paused' | 'sent' | 'dropped' {
    const { socket } = this;
    const below = this.options.sendBelowBufferedBytes;
    while (this.next < this.pending.length) {
      if (socket.getBufferedAmount() >= below) return 'paused';
      const event = this.pending[this.next]!;
      this.next += 1;
      if (socket.send(event.payload, false) === SEND_DROPPED) return 'dropped';
      if (event.id !== undefined) {
        this.lastSent = event.id;
        this.options.stats.events += 1;
      }
    }
    this.pending = [];
    this.next = 0;
    while (this.liveNext < this.live.length) {
      if (socket.getBufferedAmount() >= below) return 'paused';
      const event = this.live[this.liveNext]!;
      this.liveNext += 1;
      this.liveBytes -= event.bytes;
      if (event.id !== undefined) {
        // After a resync the client starts over from live events: it keeps every one of them
        // (even below its old last id, which may come from before an id reset).
        if (!this.resync && event.id <= this.lastSent) continue;
        this.lastSent = event.id;
      }
      if (socket.send(event.payload, false) === SEND_DROPPED) return 'dropped';
    }
    this.live = [];
    this.liveNext = 0;
    return 'sent';
  }

  /** Everything was sent: join the topic now if that cannot repeat an event, or wait. */
  private sent(): void {
    // Joined now, it would get what the fill releases from before it opened: it waits off the
    // topic instead (offers above `ignoreUpTo` still reach it), and decides again at the end.
    if (this.options.filling(this.topic)) {
      this.phase = 'waiting';
      this.deferred = true;
      return;
    }
    const forwarded = this.options.lastForwarded(this.topic);
    // After a resync nothing from the history was sent, and every buffered event came through
    // the duplicate filter, so the topic can only carry newer ones. Otherwise, any event up to
    // the last one sent that is still to come live would be a duplicate, unless the topic has
    // carried that id already (ids come in order).
    if (this.resync || (forwarded !== undefined && forwarded >= this.lastSent)) this.join();
    else this.phase = 'waiting';
  }

  private join(): void {
    this.socket.subscribe(this.topic);
    this.options.untrack(this);
    this.phase = 'live';
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
