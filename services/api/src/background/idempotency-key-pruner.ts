import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { pruneIdempotencyKeys } from '../db/idempotency.repository.js';
import type { DB } from '../db/tables.js';
import { CoalescingRunner } from './coalescing-runner.js';

const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1000;

/**
 * Deletes expired Idempotency-Keys on a timer, a batch per statement, off the request path.
 * Every replica runs one; their deletes of the same rows are harmless.
 */
export class IdempotencyKeyPruner {
  private readonly runner = new CoalescingRunner(() => this.pruneBatch());
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** A first round now, then one a minute. */
  start(): void {
    void this.runner.run();
    this.timer = setInterval(() => void this.runner.run(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  /** Stops the timer; a batch in progress is awaited. */
  close(): Promise<void> {
    clearInterval(this.timer);
    return this.runner.stop();
  }

  private async pruneBatch(): Promise<'done' | 'more' | 'failed'> {
    try {
      return (await pruneIdempotencyKeys(this.db, PRUNE_BATCH)) === PRUNE_BATCH ? 'more' : 'done';
    } catch (error) {
      this.log.warn({ err: error }, 'could not prune expired idempotency keys');
      return 'failed';
    }
  }
}
