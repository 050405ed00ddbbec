import type { FastifyBaseLogger } from 'fastify';
import { equalJitterBackoffMs } from '../background/backoff.js';
import { CoalescingRunner } from '../background/coalescing-runner.js';
import type { Kysely } from 'kysely';
import { organizationChannel, waitAtMost, type EventPublisher } from '@helpdesk/shared';
import {
  markPublished,
  markThenReadUnpublished,
  notifyEventsCommitted,
  oldestUnpublishedAgeSeconds,
  prunePublished,
  type OutboxEvent,
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
// It runs right after each commit in this process (`committed`), when another replica says it
// committed (NOTIFY, heard by the leadership's LISTEN; see `committed`), on a timer as a safety
// net, and after a failure with exponential backoff. One pass at a time; a pass reads the outbox
// when something may wait there that was not handed over (`readWanted`), and goes on reading while
// batches come back full. A request during a pass makes it go round once more, unless a read that
// started after the request already covered it (`caughtUp`).
//
// Events handed over by `committed` (send-message, issue 12) are published at the start of the
// next pass without being read back, when they are next in line: each pass remembers, per
// organization, the newest id it published, and an event is next in line when its id follows it.
// Then everything before it was published (by this relay, which was leading throughout), and
// nothing after it can be: an organization's writers take ids under its row lock, so they commit
// in id order. Any other event (a gap, an organization not yet seen, a replica that just took the
// lead) is left to the read. Either way the mark follows the publish, as before, but it need not
// follow at once: a pass that has nothing to read leaves the marks for up to MARK_DELAY_MS, so that
// one statement marks the events of many sends (a crash meanwhile publishes them again, which
// gateways drop by id). At a steady rate of sends, the relay then costs Postgres a statement per
// MARK_DELAY_MS, not one per send.

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
  /** How long events published without a read may wait for their mark; MARK_DELAY_MS unless a test says. */
  markDelayMs?: number;
  /** After each batch: how long its events waited after their commits, and how long the publish took. */
  onPublished?: (ageSeconds: readonly number[], publishSeconds: number) => void;
}

/** An outbox event with the bus channel of its organization, worked out once. */
type ChanneledEvent = OutboxEvent & { channel: string };

const RETRY_BASE_MS = 50;
/** Organizations whose newest published id is remembered; past it the memory starts over (reads take over). */
const REMEMBERED_ORGANIZATIONS = 100_000;
/** How long events published without a read may wait for their mark (see above). */
export const MARK_DELAY_MS = 20;
/** Published events are pruned at most this often, this many per statement. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;

export class OutboxRelay {
  private readonly runner = new CoalescingRunner(async () => ((await this.publishAll()) ? 'done' : 'failed'));
  /** Tells the leader of this replica's commits while another replica leads: one notice at a time. */
  private readonly leaderNotice = new CoalescingRunner(async () => {
    try {
      await notifyEventsCommitted(this.options.db);
      return 'done';
    } catch (error) {
      // The leader's poll publishes the events all the same, later.
      this.options.log.warn({ err: error }, 'outbox relay: could not tell the leading replica of a commit');
      return 'failed';
    }
  });
  private failures = 0;
  /** Ids the bus has taken and the outbox does not yet say so: the next read marks them. */
  private unmarked: string[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private closed = false;
  /** Events committed in this process, with when they were handed over (performance.now()). */
  private handed: Array<{ event: OutboxEvent; at: number }> = [];
  /** Per channel, the newest id this relay published while leading: every id before it is published. */
  private readonly publishedUpTo = new Map<string, number>();
  /**
   * Per channel, the newest id this process ever published, for the embedded history: unlike
   * publishedUpTo it survives a failed statement (the events stay published, their marks late).
   */
  private readonly highestPublished = new Map<string, number>();
  /** Something may be committed that was not handed over: the next round reads the outbox. */
  private readWanted = true;
  /** The marks may wait no longer: the next round runs its statement. */
  private markDue = false;
  private markTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** Starts the timer and a first pass (events left by a previous process). */
  start(): void {
    this.pollTimer = setInterval(() => this.poll(), this.options.pollIntervalMs);
    this.pollTimer.unref();
    this.poll();
  }

  /**
   * There may be committed events that were not handed over (a notice from another replica, the
   * lead just taken, a commit without its events): read the outbox soon. Never throws, never waits.
   */
  nudge(): void {
    this.readWanted = true;
    void this.pass();
  }

  /**
   * The caller's transaction just committed events; `events` are they as stored, when it has
   * them (send-message). While this replica leads they are published soon, those next in line
   * without being read back. While another leads, it is told, by a NOTIFY of its own (a commit
   * never notifies: a notifying transaction holds an instance-wide lock from its commit until it
   * ends, so all such commits would run one at a time); one notice at a time, so a burst of
   * commits costs one or two. Never throws, never waits.
   */
  committed(events: readonly OutboxEvent[] = []): void {
    if (!this.options.leadership.isLeader) {
      void this.leaderNotice.run();
      return;
    }
    // Bounded: while no pass takes them (the bus is down) the read will.
    if (events.length === 0 || this.handed.length + events.length > this.options.batchSize) return this.nudge();
    const at = performance.now();
    for (const event of events) this.handed.push({ event, at });
    void this.pass();
  }

  /**
   * Publishes and marks everything committed before this call (when this process leads and the
   * bus answers). Resolves when that is over, whatever its outcome: failures are retried later.
   */
  async flush(): Promise<void> {
    this.readWanted = true;
    this.markDue = true;
    await this.pass();
    if (this.unmarked.length === 0) return;
    this.markDue = true;
    await this.pass();
  }

  /** Seconds since the oldest event still unpublished was committed (0: none is waiting). */
  lag(): Promise<number> {
    return oldestUnpublishedAgeSeconds(this.options.db);
  }

  /** The id through which this relay has published the channel's events (marked or not yet); undefined: not known. */
  publishedThrough(channel: string): number | undefined {
    return this.highestPublished.get(channel);
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
      await waitAtMost(this.flush(), timeoutMs);
    } finally {
      this.closed = true;
      // No new rounds; one stuck on an unreachable bus is not waited for.
      void this.runner.stop();
      void this.leaderNotice.stop();
      clearTimeout(this.markTimer);
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
    const { db, leadership, batchSize } = this.options;
    try {
      while (leadership.isLeader) {
        // A read sees every commit nudged so far (they need no extra round), and marks the
        // batch published before it: a pass is read → publish → (mark + read) → publish …
        this.runner.caughtUp();
        if (await this.publishHanded()) this.readWanted = true;
        if (!this.readWanted && !this.markDue && this.unmarked.length < batchSize) {
          this.scheduleMark();
          break;
        }
        this.readWanted = false;
        this.markDue = false;
        // This statement marks what is waiting: a pending mark timer has nothing left to do.
        clearTimeout(this.markTimer);
        this.markTimer = undefined;
        const batch = await markThenReadUnpublished(db, this.unmarked, batchSize);
        this.unmarked = [];
        if (batch.length === 0) break;
        await this.publishInOrder(
          batch.map((event) => ({
            ...event,
            channel: organizationChannel(this.options.channelPrefix, event.organizationName),
          })),
          batch.map((event) => event.ageSeconds),
        );
        // A full batch: more may wait. Otherwise the read took all there was; its mark may wait.
        if (batch.length === batchSize) this.readWanted = true;
      }
      if (!leadership.isLeader) {
        // Events handed over while this replica still led: the new leader hears of them.
        if (this.handed.length > 0) void this.leaderNotice.run();
        this.forget();
        // The lead was lost after a publish: what the bus took is marked all the same.
        await markPublished(db, this.unmarked);
        this.unmarked = [];
      }
      if (this.failures > 0) this.options.log.info({ failures: this.failures }, 'outbox relay: publishing again');
      this.failures = 0;
      return true;
    } catch (error) {
      this.forget();
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

  /**
   * Publishes the handed-over events that are next in line; the others are left to the read.
   * True when some were left to it.
   */
  private async publishHanded(): Promise<boolean> {
    if (this.handed.length === 0) return false;
    const handed = this.handed;
    this.handed = [];
    // Handed over in the order answers came back, not always in id order; per organization, ids
    // sort it (a stable sort across organizations whose ids interleave).
    handed.sort((a, b) => a.event.seq - b.event.seq);
    const upTo = new Map<string, number>();
    const ready: ChanneledEvent[] = [];
    const now = performance.now();
    const ages: number[] = [];
    let leftToRead = false;
    for (const { event, at } of handed) {
      const channel = organizationChannel(this.options.channelPrefix, event.organizationName);
      const last = upTo.get(channel) ?? this.publishedUpTo.get(channel);
      if (last !== undefined && event.seq <= last) continue; // published already (by a read)
      if (last === undefined || event.seq !== last + 1) {
        leftToRead = true;
        continue;
      }
      upTo.set(channel, event.seq);
      ready.push({ ...event, channel });
      ages.push((now - at) / 1000);
    }
    if (ready.length > 0) await this.publishInOrder(ready, ages);
    return leftToRead;
  }

  /** The marks of events published without a read go out within MARK_DELAY_MS, with those after them. */
  private scheduleMark(): void {
    if (this.unmarked.length === 0 || this.markTimer !== undefined) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = undefined;
      this.markDue = true;
      void this.pass();
    }, this.options.markDelayMs ?? MARK_DELAY_MS);
    this.markTimer.unref();
  }

  /** Publishes events in id order per organization, and remembers them to be marked and built on. */
  private async publishInOrder(events: readonly ChanneledEvent[], ageSeconds: readonly number[]): Promise<void> {
    const { publisher } = this.options;
    const sequenced = events.map((event) => ({ channel: event.channel, id: event.seq, payload: event.payload }));
    // Remembered as the publish starts: an in-process bus delivers during the call, and the
    // embedded history (publishedThrough, read only beside that bus, whose publish cannot fail)
    // must show what a socket may already have. A failed publish forgets publishedUpTo (publishAll).
    if (this.publishedUpTo.size > REMEMBERED_ORGANIZATIONS) this.publishedUpTo.clear();
    if (this.highestPublished.size > REMEMBERED_ORGANIZATIONS) this.highestPublished.clear();
    for (const { channel, id } of sequenced) {
      this.publishedUpTo.set(channel, id);
      if (id > (this.highestPublished.get(channel) ?? 0)) this.highestPublished.set(channel, id);
    }
    const publishStart = performance.now();
    await publisher.publishSequenced(sequenced);
    this.options.onPublished?.(ageSeconds, (performance.now() - publishStart) / 1000);
    for (const event of events) this.unmarked.push(event.id);
  }

  /** The lead was lost or a publish failed: nothing remembered may be built on any more. */
  private forget(): void {
    this.handed = [];
    this.publishedUpTo.clear();
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
