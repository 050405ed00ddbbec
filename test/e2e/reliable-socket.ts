import WebSocket from 'ws';

/** A socket frame with the fields these tests read; `id` is the organization's event id (ours). */
export interface Frame {
  type: string;
  data: string;
  id?: number;
}

/**
 * A chat socket that follows the client's reconnect recipe (issue 4, item 2): it remembers the
 * last event id it saw, and when its socket closes, or an id arrives that is not the next one
 * (the gateway missed some while its Redis connection was down), it drops that socket and opens
 * a new one with `?last_event_id=<last>`, which replays what it missed. It never deduplicates:
 * `duplicates` and `resyncs` count what a test wants to be zero.
 */
export class ReliableSocket {
  /** Frames accepted, in order: each id exactly one more than the previous. */
  readonly frames: Frame[] = [];
  duplicates = 0;
  resyncs = 0;
  private afterResync = false;
  reconnects = 0;
  /** How each of its sockets ended (code and reason, or an error), for a failing test's message. */
  readonly closes: string[] = [];
  private ws: WebSocket | undefined;
  private closed = false;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly url: (lastEventId: number | undefined) => Promise<string>,
    private readonly replay: boolean,
  ) {}

  /**
   * `url` builds the socket URL (a fresh ticket each time, and `last_event_id` when given).
   * Without `replay` (a gateway that cannot replay) it only records, never reconnects.
   */
  static async open(url: (lastEventId: number | undefined) => Promise<string>, replay: boolean) {
    const socket = new ReliableSocket(url, replay);
    await socket.connect(undefined);
    return socket;
  }

  get lastId(): number | undefined {
    return this.frames.at(-1)?.id;
  }

  private async connect(lastEventId: number | undefined): Promise<void> {
    const ws = new WebSocket(await this.url(lastEventId));
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      if (this.ws !== ws) return;
      this.accept(JSON.parse(data.toString('utf8')) as Frame);
    });
    ws.on('close', (code, reason) => {
      this.closes.push(`${code} ${reason.toString()}`);
      if (this.ws === ws && !this.closed) this.reconnect();
    });
    ws.on('error', (error) => this.closes.push(`error ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }

  private accept(frame: Frame): void {
    if (frame.type === 'resync') {
      this.resyncs += 1;
      // After a resync ids jump (the client refetches over REST): the next id is taken as it is.
      this.afterResync = true;
      return;
    }
    const last = this.lastId;
    if (this.afterResync && frame.id !== undefined) this.afterResync = false;
    else if (frame.id !== undefined && last !== undefined) {
      if (frame.id <= last) {
        this.duplicates += 1;
        return;
      }
      if (frame.id > last + 1 && this.replay) {
        this.reconnect();
        return;
      }
    }
    this.frames.push(frame);
    this.waiters = this.waiters.filter((w) => (this.frames.length >= w.count ? (w.resolve(), false) : true));
  }

  private reconnect(): void {
    const old = this.ws;
    this.ws = undefined;
    old?.terminate();
    if (this.closed || !this.replay) return;
    this.reconnects += 1;
    const attempt = (): void => {
      if (this.closed) return;
      // 0 when it saw nothing yet: everything kept.
      this.connect(this.lastId ?? 0).catch(() => setTimeout(attempt, 100));
    };
    attempt();
  }

  waitForFrames(count: number, timeoutMs = 15_000): Promise<Frame[]> {
    if (this.frames.length >= count) return Promise.resolve(this.frames.slice(0, count));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `got ${this.frames.length} of ${count} frames (last id ${this.lastId}, ${this.reconnects} reconnects, closes: ${this.closes.join('; ')})`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(this.frames.slice(0, count))) });
    });
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
