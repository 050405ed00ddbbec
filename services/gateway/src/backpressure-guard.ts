// Keeps each socket's outgoing buffer bounded (ARCHITECTURE.md, Reliability). A socket whose
// buffered bytes are over the limit when checked is closed with CLOSE_CODES.slowConsumer, so the
// client learns why, instead of the gateway growing memory or silently skipping its events.
//
// Why not only uWS's own `maxBackpressure` + `closeOnBackpressureLimit`: uWS drops every frame
// over maxBackpressure, the close frame included, and then just shuts the TCP connection, so the
// client sees an abnormal 1006 with no reason. We therefore check in JS at the soft limit, while
// there is still room for the close frame, and keep uWS's limit as a hard ceiling above it: a
// safety net for bursts no check saw coming (then, and only then, a client gets 1006).
//
// When to check: fan-out is native (app.publish), so JS does not see which socket fell behind;
// a check walks the topic's sockets and reads getBufferedAmount() (which reflects a publish
// synchronously). That walk is O(sockets), so it must not run per event (bench/README.md, hot
// spot 4). Two rules decide when a topic is checked:
// - at once, whenever half a limit's worth of bytes went to it since its last check: between
//   two checks a socket gains at most limit/2 plus one frame, which keeps a socket that was under
//   the limit below the hard ceiling when its close frame is queued, however fast events come;
// - otherwise at most once per CHECK_INTERVAL_MS, after something was published to it, so a
//   socket over the limit is closed soon even when its topic then goes quiet.
// Buffers only grow when their topic is published to, so a topic nobody publishes to is never
// walked.

export interface BufferedSocket {
  getBufferedAmount(): number;
}

export interface BackpressureGuardOptions<Socket extends BufferedSocket> {
  limitBytes: number;
  socketsIn(topic: string): Iterable<Socket> | undefined;
  /**
   * Must close the socket (SocketCloser). One whose close frame still waits for its buffer to
   * empty stays in socketsIn, over the limit, and is offered again: it must be ignored then.
   */
  onSlowConsumer(socket: Socket, bufferedBytes: number): void;
  /** Least time between two checks of a topic that stays under the byte budget. */
  intervalMs?: number;
  /** Monotonic clock in ms; performance.now unless a test steers time. */
  now?: () => number;
}

/** ~20 checks per second per busy topic at most, and a slow consumer closed within ~50 ms. */
export const CHECK_INTERVAL_MS = 50;

/** uWS's maxBackpressure for a given soft limit: room for one more check's worth of frames. */
export function hardBackpressureLimit(limitBytes: number): number {
  return limitBytes * 2 + 64 * 1024;
}

interface TopicState {
  /** Bytes published to the topic since its last check. */
  pending: number;
  lastCheck: number;
  timer: NodeJS.Timeout | undefined;
}

export class BackpressureGuard<Socket extends BufferedSocket> {
  private readonly topics = new Map<string, TopicState>();
  private readonly budget: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: BackpressureGuardOptions<Socket>) {
    this.budget = Math.max(1, Math.floor(options.limitBytes / 2));
    this.intervalMs = options.intervalMs ?? CHECK_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** Tells the guard that a frame of `bytes` was published to the topic. */
  published(topic: string, bytes: number): void {
    if (this.closed) return;
    let state = this.topics.get(topic);
    if (!state) this.topics.set(topic, (state = { pending: 0, lastCheck: -Infinity, timer: undefined }));
    state.pending += bytes;
    if (state.pending >= this.budget) {
      this.check(topic, state);
      return;
    }
    if (state.timer !== undefined) return;
    const topicState = state;
    const wait = Math.max(0, state.lastCheck + this.intervalMs - this.now());
    state.timer = setTimeout(() => {
      topicState.timer = undefined;
      // Checked by the byte budget meanwhile, with nothing published since: nothing can be over.
      if (topicState.pending > 0) this.check(topic, topicState);
    }, wait);
    state.timer.unref();
  }

  /** The topic's last socket left: nothing to check there any more. */
  forget(topic: string): void {
    const state = this.topics.get(topic);
    if (state?.timer !== undefined) clearTimeout(state.timer);
    this.topics.delete(topic);
  }

  close(): void {
    this.closed = true;
    for (const state of this.topics.values()) if (state.timer !== undefined) clearTimeout(state.timer);
    this.topics.clear();
  }

  /** Topics with a check state; forget() keeps it to the topics hosted. */
  get size(): number {
    return this.topics.size;
  }

  private check(topic: string, state: TopicState): void {
    state.pending = 0;
    state.lastCheck = this.now();
    const sockets = this.options.socketsIn(topic);
    if (!sockets) return;
    for (const socket of sockets) {
      const buffered = socket.getBufferedAmount();
      if (buffered > this.options.limitBytes) this.options.onSlowConsumer(socket, buffered);
    }
  }
}
