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
// When to check: fan-out is native (app.publish), so JS does not see which socket fell behind.
// Buffers only grow when their topic is published to, and getBufferedAmount() reflects a publish
// synchronously, so a topic is checked at the end of the event-loop turn in which it was
// published to, and at once whenever half a limit's worth of bytes went to it since its last
// check. Between two checks a socket gains at most limit/2 plus one frame, which keeps a socket
// that was under the limit below the hard ceiling when its close frame is queued.

export interface BufferedSocket {
  getBufferedAmount(): number;
}

export interface BackpressureGuardOptions<Socket extends BufferedSocket> {
  limitBytes: number;
  socketsIn(topic: string): Iterable<Socket> | undefined;
  /** Must close the socket (ws.end), which removes it from socketsIn. */
  onSlowConsumer(socket: Socket, bufferedBytes: number): void;
}

/** uWS's maxBackpressure for a given soft limit: room for one more check's worth of frames. */
export function hardBackpressureLimit(limitBytes: number): number {
  return limitBytes * 2 + 64 * 1024;
}

export class BackpressureGuard<Socket extends BufferedSocket> {
  private readonly sinceCheck = new Map<string, number>();
  private readonly budget: number;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly options: BackpressureGuardOptions<Socket>) {
    this.budget = Math.max(1, Math.floor(options.limitBytes / 2));
  }

  /** Tells the guard that a frame of `bytes` was published to the topic. */
  published(topic: string, bytes: number): void {
    if (this.closed) return;
    const pending = (this.sinceCheck.get(topic) ?? 0) + bytes;
    if (pending >= this.budget) {
      this.sinceCheck.delete(topic);
      this.check(topic);
      return;
    }
    this.sinceCheck.set(topic, pending);
    this.scheduled ??= setImmediate(() => this.checkPending());
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.sinceCheck.clear();
  }

  private checkPending(): void {
    this.scheduled = undefined;
    const topics = [...this.sinceCheck.keys()];
    this.sinceCheck.clear();
    for (const topic of topics) this.check(topic);
  }

  private check(topic: string): void {
    const sockets = this.options.socketsIn(topic);
    if (!sockets) return;
    for (const socket of sockets) {
      const buffered = socket.getBufferedAmount();
      if (buffered > this.options.limitBytes) this.options.onSlowConsumer(socket, buffered);
    }
  }
}
