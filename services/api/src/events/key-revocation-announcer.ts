import { waitAtMost, type KeyRevocationStore } from '@helpdesk/shared';
import type { FastifyBaseLogger } from 'fastify';

/** Waits before each retry of an announcement Redis refused: about a minute in all. */
const RETRY_DELAYS_MS = [250, 1000, 4000, 15_000, 40_000];

/**
 * How long the DELETE waits for the announcement. The publisher queues commands while Redis is
 * away (sent once it is back), so an attempt may stay pending: it goes on in the background.
 */
const ANSWER_WITHIN_MS = 1000;

/**
 * Tells every gateway that a key was revoked, so they close the sockets its tickets opened and
 * refuse its tickets: published live, and kept in the bus for as long as such a ticket can live,
 * for gateways that start or come back from an outage later. The revocation itself is already
 * committed (REST refuses the key at once); the DELETE waits for this at most ANSWER_WITHIN_MS;
 * what Redis refused is retried in the background, what it has not answered yet is sent when it
 * is back.
 */
export class KeyRevocationAnnouncer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: KeyRevocationStore,
    /** How long the store keeps a revocation: as long as a ticket issued before it can live. */
    private readonly memoryMs: number,
    private readonly log: FastifyBaseLogger,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  /** Resolves after the first attempt, or ANSWER_WITHIN_MS; the rest goes on in the background. */
  async announce(keyUuid: string, answerWithinMs = ANSWER_WITHIN_MS): Promise<void> {
    await waitAtMost(this.attempt(keyUuid, 0), answerWithinMs);
  }

  /** Stops the background retries. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async attempt(keyUuid: string, retry: number): Promise<void> {
    try {
      await this.store.add(keyUuid, Date.now() + this.memoryMs);
      if (retry > 0) this.log.info({ key: keyUuid, retry }, 'key revocation announced to the gateways');
    } catch (error) {
      const delay = this.retryDelaysMs[retry];
      if (delay === undefined || this.closed) {
        this.log.error({ err: error, key: keyUuid }, 'could not announce a key revocation; its open sockets stay');
        return;
      }
      this.log.warn({ err: error, key: keyUuid, retryInMs: delay }, 'could not announce a key revocation yet');
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.attempt(keyUuid, retry + 1);
      }, delay);
      timer.unref();
      this.timers.add(timer);
    }
  }
}
