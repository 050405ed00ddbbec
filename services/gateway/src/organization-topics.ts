import type { EventSubscriber } from '@helpdesk/shared';
import type { Logger } from 'pino';

// One bus subscription per organization channel this gateway hosts (ARCHITECTURE.md): SUBSCRIBE
// when the first socket of an organization arrives, UNSUBSCRIBE after the last one leaves.
//
// Sockets come and go faster than Redis answers, so this is a reconciler, not a pair of calls:
// each channel remembers how many holders want it and what the bus last confirmed, runs at most
// one SUBSCRIBE/UNSUBSCRIBE at a time, and when that finishes compares again. A socket opening
// while the organization's UNSUBSCRIBE is in flight therefore waits for it and subscribes anew;
// the last socket leaving while a SUBSCRIBE is in flight unsubscribes right after. Nothing leaks
// and nothing is lost.
//
// After the bus reconnects, reconfirm() sends a channel's SUBSCRIBE once more (Redis answers it
// like the first, and it changes nothing): its answer proves the channel is delivered again, so a
// history read started after it misses nothing that came before (gap-fill.ts).

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface ChannelState {
  /** Sockets open on the channel plus upgrades waiting for it. */
  holders: number;
  /** What the bus last confirmed. */
  subscribed: boolean;
  /** A SUBSCRIBE or UNSUBSCRIBE is running. */
  changing: boolean;
  /** Set after a failed change, so a broken bus is not hammered in a loop. */
  retry: NodeJS.Timeout | undefined;
  /** acquire() calls waiting for the subscription. */
  waiters: Waiter[];
  /** reconfirm() calls waiting for a SUBSCRIBE sent after they asked. */
  confirmWaiters: Array<{ resolve(subscribed: boolean): void; reject(error: Error): void }>;
}

export interface OrganizationTopicsOptions {
  subscriber: EventSubscriber;
  logger: Logger;
  /** Pause before retrying a change the bus refused. */
  retryDelayMs?: number;
}

export class OrganizationTopics {
  private readonly channels = new Map<string, ChannelState>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly subscriber: EventSubscriber;
  private readonly logger: Logger;
  private readonly retryDelayMs: number;

  constructor(options: OrganizationTopicsOptions) {
    this.subscriber = options.subscriber;
    this.logger = options.logger;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /**
   * Takes a hold on the channel if the bus already delivers it, and says whether it did. The
   * fast path of an upgrade: no await, so the socket opens inside the uWS handler.
   */
  holdIfSubscribed(channel: string): boolean {
    const state = this.channels.get(channel);
    if (!state || !state.subscribed || state.changing) return false;
    state.holders += 1;
    return true;
  }

  /**
   * Takes a hold on the channel and resolves once the bus confirmed the subscription, so events
   * published after that reach this gateway. If the subscription fails, the promise rejects and
   * the hold is already given back; otherwise the caller gives it back with release(), once the
   * promise resolved (an upgrade aborted meanwhile releases right then), never before.
   */
  acquire(channel: string): Promise<void> {
    let state = this.channels.get(channel);
    if (!state) {
      state = { holders: 0, subscribed: false, changing: false, retry: undefined, waiters: [], confirmWaiters: [] };
      this.channels.set(channel, state);
    }
    state.holders += 1;
    const held = state;
    const ready = new Promise<void>((resolve, reject) => held.waiters.push({ resolve, reject }));
    this.reconcile(channel, held);
    return ready;
  }

  release(channel: string): void {
    const state = this.channels.get(channel);
    if (!state || state.holders === 0) {
      this.logger.error({ channel }, 'released a channel that was not held');
      return;
    }
    state.holders -= 1;
    this.reconcile(channel, state);
  }

  /**
   * Subscribes a held channel once more and resolves true when the bus answered a SUBSCRIBE sent
   * after this call; false, without a round trip, when nothing holds the channel. Rejects when
   * that SUBSCRIBE fails.
   */
  reconfirm(channel: string): Promise<boolean> {
    const state = this.channels.get(channel);
    if (!state || state.holders === 0) return Promise.resolve(false);
    const confirmed = new Promise<boolean>((resolve, reject) => state.confirmWaiters.push({ resolve, reject }));
    this.reconcile(channel, state);
    return confirmed;
  }

  /** Channels with a confirmed subscription. */
  subscribedChannels(): string[] {
    return [...this.channels].filter(([, state]) => state.subscribed).map(([channel]) => channel);
  }

  /** How many channels have a confirmed subscription (a gauge; no array built). */
  subscribedCount(): number {
    let count = 0;
    for (const state of this.channels.values()) if (state.subscribed) count += 1;
    return count;
  }

  /** Resolves once no channel is held, subscribed or changing (all UNSUBSCRIBEs answered). */
  whenIdle(): Promise<void> {
    if (this.channels.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private reconcile(channel: string, state: ChannelState): void {
    if (state.changing || state.retry) return;
    const wanted = state.holders > 0;
    if (!wanted) for (const waiter of state.confirmWaiters.splice(0)) waiter.resolve(false);
    if (wanted && state.subscribed) for (const waiter of state.waiters.splice(0)) waiter.resolve();
    const reconfirm = wanted && state.confirmWaiters.length > 0;
    if (wanted === state.subscribed && !reconfirm) {
      if (!wanted) {
        this.channels.delete(channel);
        if (this.channels.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      return;
    }
    state.changing = true;
    void this.change(channel, state, wanted);
  }

  private async change(channel: string, state: ChannelState, subscribe: boolean): Promise<void> {
    // Only a SUBSCRIBE sent after a reconfirm() call answers it.
    const confirming = subscribe ? state.confirmWaiters.splice(0) : [];
    try {
      if (subscribe) await this.subscriber.subscribe(channel);
      else await this.subscriber.unsubscribe(channel);
      state.subscribed = subscribe;
      for (const waiter of confirming) waiter.resolve(true);
      this.logger.debug({ channel, holders: state.holders }, subscribe ? 'subscribed' : 'unsubscribed');
    } catch (error) {
      this.logger.error({ err: error, channel }, subscribe ? 'subscribe failed' : 'unsubscribe failed');
      if (subscribe) {
        // Those waiting get their hold back now; holders that remain (none, unless someone
        // acquired during the failure) are served by the retry below.
        const failure = new Error(`subscribing to ${channel} failed`, { cause: error });
        const waiters = state.waiters.splice(0);
        state.holders -= waiters.length;
        for (const waiter of waiters) waiter.reject(failure);
        for (const waiter of confirming) waiter.reject(failure);
      }
      state.retry = setTimeout(() => {
        state.retry = undefined;
        this.reconcile(channel, state);
      }, this.retryDelayMs);
      state.retry.unref();
    } finally {
      state.changing = false;
    }
    this.reconcile(channel, state);
  }
}
