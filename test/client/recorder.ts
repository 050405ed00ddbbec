import WebSocket from 'ws';
import type { AnyLiveEvent, ConnectionState, Subscription, WebSocketClass } from '../../packages/client/src/index.js';

/** Node 20 has no global WebSocket: the client takes `ws`'s, as an app on Node 20 would. */
export const NodeWebSocket = WebSocket as unknown as WebSocketClass;

/** Everything a subscription emitted, in order, and a way to wait for a number of events. */
export class Recorder {
  readonly events: AnyLiveEvent[] = [];
  readonly states: ConnectionState[] = [];
  readonly resyncs: Array<{ lastEventId: number | undefined }> = [];
  readonly errors: Error[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly subscription: Subscription) {
    for (const type of ['new_message', 'update_helpdesk', 'update_message'] as const) {
      subscription.on(type, (event) => this.push(() => this.events.push(event)));
    }
    subscription.on('state', (state) => this.push(() => this.states.push(state)));
    subscription.on('resync', (resync) => this.push(() => this.resyncs.push(resync)));
    subscription.on('error', (error) => this.push(() => this.errors.push(error)));
  }

  private push(record: () => void): void {
    record();
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `condition` holds; fails with what was recorded after `timeoutMs`. */
  async until(condition: (recorder: this) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}: ${this.events.length} events (last id ${this.events.at(-1)?.id}), ` +
            `states ${JSON.stringify(this.states.slice(-6))}, errors ${this.errors.map((e) => e.message).join('; ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  untilEvents(count: number, timeoutMs?: number): Promise<void> {
    return this.until((r) => r.events.length >= count, `${count} events`, timeoutMs);
  }

  untilState(type: ConnectionState['type'], timeoutMs?: number): Promise<void> {
    return this.until((r) => r.subscription.state.type === type, `state ${type}`, timeoutMs);
  }

  /** How many times a socket opened. */
  connects(): number {
    return this.states.filter((s) => s.type === 'connected').length;
  }
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
