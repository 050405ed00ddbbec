// Closes sockets the gateway gives up on (a slow consumer, a revoked key, a failed replay) within a
// bound, whether or not their client reads (issue 13, item 8).
//
// uWS's end(code) queues the close frame behind everything the socket has buffered, runs the close
// handler at once and keeps the connection until the frame went out and the client answered, or
// until its own timeout (16 s with the default WS_IDLE_TIMEOUT_SECONDS). A client that stopped
// reading never gets the frame, so its connection stays up that long, with megabytes queued for it
// in the kernel. Nothing cuts it sooner once end() was called: uWS ignores close() on a socket it
// is shutting down, and the JS socket is gone after the close handler. So a socket with bytes
// still buffered is closed in two steps: it is fed no more (quiet: its topic and its replay stop),
// and its close frame is queued only when a drain event finds its buffer empty; if that has not
// happened within WS_CLOSE_TIMEOUT_MS, close() cuts the connection (the client sees 1006 instead of
// the code, which it could not have read anyway).

/** What the closer needs of a uWS WebSocket (narrowed so that it is tested without uWS). */
export interface ClosableSocket {
  getBufferedAmount(): number;
  /** Graceful: the close frame is queued after what is buffered. */
  end(code: number, reason: string): void;
  /** Forceful: the connection is closed now, without a close frame. */
  close(): void;
}

export interface SocketCloserOptions<Socket extends ClosableSocket> {
  /** WS_CLOSE_TIMEOUT_MS */
  timeoutMs: number;
  /** Stops feeding the socket while its buffer empties (unsubscribe it, stop its replay). */
  quiet(socket: Socket): void;
  /** Counted and logged when a socket's connection had to be cut. */
  onCut(socket: Socket, bufferedBytes: number): void;
}

interface Closing {
  code: number;
  reason: string;
  timer: NodeJS.Timeout;
}

export class SocketCloser<Socket extends ClosableSocket> {
  private readonly closing = new Map<Socket, Closing>();

  constructor(private readonly options: SocketCloserOptions<Socket>) {}

  /** Closes the socket with the code: at once when nothing is buffered, else as described above. */
  close(socket: Socket, code: number, reason: string): void {
    if (this.closing.has(socket)) return;
    if (socket.getBufferedAmount() === 0) {
      socket.end(code, reason);
      return;
    }
    const timer = setTimeout(() => this.cut(socket), this.options.timeoutMs);
    timer.unref();
    this.closing.set(socket, { code, reason, timer });
    this.options.quiet(socket);
  }

  /** Whether the socket waits for its buffer to empty before its close frame. */
  isClosing(socket: Socket): boolean {
    return this.closing.has(socket);
  }

  /**
   * The socket's drain event: a closing socket whose buffer is empty now gets its close frame.
   * Returns whether the socket is (or was, until now) closing: nothing else may write to it.
   */
  drained(socket: Socket): boolean {
    const entry = this.closing.get(socket);
    if (!entry) return false;
    if (socket.getBufferedAmount() > 0) return true;
    this.forget(socket, entry);
    socket.end(entry.code, entry.reason);
    return true;
  }

  /** The socket's close handler ran, whoever closed it: it must not be touched any more. */
  closed(socket: Socket): void {
    const entry = this.closing.get(socket);
    if (entry) this.forget(socket, entry);
  }

  /** Sockets waiting for their buffer to empty (a gauge). */
  get size(): number {
    return this.closing.size;
  }

  /** The gateway is closing (and ends every socket itself): no timer stays behind. */
  stop(): void {
    for (const entry of this.closing.values()) clearTimeout(entry.timer);
    this.closing.clear();
  }

  private cut(socket: Socket): void {
    const entry = this.closing.get(socket);
    if (!entry) return;
    this.forget(socket, entry);
    this.options.onCut(socket, socket.getBufferedAmount());
    socket.close();
  }

  private forget(socket: Socket, entry: Closing): void {
    clearTimeout(entry.timer);
    this.closing.delete(socket);
  }
}
