import type { FastifyBaseLogger } from 'fastify';
import { equalJitterBackoffMs } from '../background/backoff.js';
import { CoalescingRunner } from '../background/coalescing-runner.js';
import type { Kysely } from 'kysely';
import { organizationChannel, waitAtMost, type EventPublisher } from '@helpdesk/shared';
import {
  markPublished,
  markThenReadUnpublished,
  oldestUnpublishedAgeSeconds,
  prunePublished,
} from '../db/outbox.repository.js';
import type { DB } from '../db/tables.js';
import type { RelayLeadership } from './relay-leadership.js';

// The outbox relay (issue 4, item 1; ARCHITECTURE.md, "Reliability, by design"). Changes commit
// with their events in outbox_events; this publishes what is committed and not yet published, in
// id order (per organization: the order ids were given), a batch per bus round trip, and only
// then marks it published (in the statement that reads the next batch: one database round trip
// per batch, issue 12). So a bus outage or a crash between commit and publish delays events but
// loses none; an event may be published twice (crash after publish, before the mark), which
// gateways drop by id.
//
// It runs right after each commit in this process (nudge), when another replica's commit is
// heard (LISTEN/NOTIFY, via the leadership), on a timer as a safety net, and after a failure with
// exponential backoff. One pass at a time, reading until nothing is left: a commit nudged during
// a pass is published by the pass's next read, and only a nudge after its last read makes it go
// round once more.

export interface OutboxRelayOptions {
  db: Kysely<DB>;
  publisher: EventPublisher;
  channelPrefix: string;
  leadership: RelayLeadership;
  log: FastifyBaseLogger;
  batchSize: number;
  pollIntervalMs: number;
  retryMaxMs: number;
  retentionSeconds: number;
  /** After each batch: how long its events waited after their commits, and how long the publish took. */
  onPublished?: (ageSeconds: readonly number[], publishSeconds: number) => void;
}

const RETRY_BASE_MS = 50;
/** Published events are pruned at most this often, this many per statement. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;

export class OutboxRelay {
  private readonly runner = new CoalescingRunner(async () => ((await this.publishAll()) ? 'done' : 'failed'));
  private failures = 0;
  /** Ids the bus has taken and the outbox does not yet say so: the next read marks them. */
  private unmarked: string[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private closed = false;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** Starts the timer and a first pass (events left by a previous process). */
  start(): void {
    this.pollTimer = setInterval(() => this.poll(), this.options.pollIntervalMs);
    this.pollTimer.unref();
    this.poll();
  }

  /** Something was committed: publish it soon. Never throws, never waits. */
  nudge(): void {
    void this.pass();
  }

  /**
   * Publishes everything committed before this call (when this process leads and the bus
   * answers). Resolves when the pass is over, whatever its outcome: failures are retried later.
   */
  flush(): Promise<void> {
    return this.pass();
  }

  /** Seconds since the oldest event still unpublished was committed (0: none is waiting). */
  lag(): Promise<number> {
    return oldestUnpublishedAgeSeconds(this.options.db);
  }

  get isLeader(): boolean {
    return this.options.leadership.isLeader;
  }

  /**
   * Stops the timers, publishes once more what is committed (bounded by `timeoutMs`: an
   * unreachable bus must not hold the shutdown), and gives up the lead.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    try {
      await waitAtMost(this.pass(), timeoutMs);
    } finally {
      this.closed = true;
      // No new rounds; one stuck on an unreachable bus is not waited for.
      void this.runner.stop();
      await this.options.leadership.close();
    }
  }

  private poll(): void {
    const { leadership } = this.options;
    leadership
      .tick()
      .then(() => {
        if (leadership.isLeader) {
          this.nudge();
          this.maybePrune();
        }
      })
      .catch((error: unknown) => this.options.log.error({ err: error }, 'outbox relay: poll failed'));
  }

  private pass(): Promise<void> {
    return this.closed ? Promise.resolve() : this.runner.run();
  }

  /** Publishes batches until none is left; false after a failure (a retry is then scheduled). */
  private async publishAll(): Promise<boolean> {
    const { db, publisher, channelPrefix, leadership, batchSize } = this.options;
    try {
      while (leadership.isLeader) {
        // This read sees every commit nudged so far (they need no extra round), and marks the
        // batch published before it: a pass is read → publish → (mark + read) → publish …
        this.runner.caughtUp();
        const batch = await markThenReadUnpublished(db, this.unmarked, batchSize);
        this.unmarked = [];
        if (batch.length === 0) break;
        const publishStart = performance.now();
        await publisher.publishSequenced(
          batch.map((event) => ({
            channel: organizationChannel(channelPrefix, event.organizationName),
            id: event.seq,
            payload: event.payload,
          })),
        );
        this.options.onPublished?.(
          batch.map((event) => event.ageSeconds),
          (performance.now() - publishStart) / 1000,
        );
        this.unmarked = batch.map((event) => event.id);
      }
      // The lead was lost after a publish: what the bus took is marked all the same.
      await markPublished(db, this.unmarked);
      this.unmarked = [];
      if (this.failures > 0) this.options.log.info({ failures: this.failures }, 'outbox relay: publishing again');
      this.failures = 0;
      return true;
    } catch (error) {
      this.failures += 1;
      const delay = this.retryDelay();
      // The first failure in full; while it lasts, one line per attempt is enough.
      this.options.log[this.failures === 1 ? 'error' : 'warn'](
        { err: this.failures === 1 ? error : String(error), failures: this.failures, retryInMs: delay },
        'outbox relay: could not publish; events stay in the outbox',
      );
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.nudge(), delay);
      this.retryTimer.unref();
      return false;
    }
  }

  private retryDelay(): number {
    return equalJitterBackoffMs(this.failures, RETRY_BASE_MS, this.options.retryMaxMs);
  }

  private maybePrune(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    prunePublished(this.options.db, this.options.retentionSeconds, PRUNE_BATCH).catch((error: unknown) =>
      this.options.log.warn({ err: error }, 'outbox relay: could not prune published events'),
    );
  }
}
