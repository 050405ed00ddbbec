import { encodeKeyRevoked, keyRevocationsChannel, type EventPublisher } from '@helpdesk/shared';
import type { FastifyBaseLogger } from 'fastify';

/** Waits before each retry of an announcement Redis did not take: about a minute in all. */
const RETRY_DELAYS_MS = [250, 1000, 4000, 15_000, 40_000];

/**
 * Tells every gateway that a key was revoked, so they close the sockets its tickets opened. The
 * revocation itself is already committed (REST refuses the key at once); this is best effort on
 * top: tried once before the DELETE answers, then retried in the background while Redis is away.
 * A gateway cut off from Redis for longer keeps such sockets until they reconnect.
 */
export class KeyRevocationAnnouncer {
  private readonly channel: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly publisher: EventPublisher,
    channelPrefix: string,
    private readonly log: FastifyBaseLogger,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {
    this.channel = keyRevocationsChannel(channelPrefix);
  }

  /** Resolves after the first attempt; failed attempts go on in the background. */
  async announce(keyUuid: string): Promise<void> {
    await this.attempt(keyUuid, 0);
  }

  /** Stops the background retries. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async attempt(keyUuid: string, retry: number): Promise<void> {
    try {
      await this.publisher.publish(this.channel, encodeKeyRevoked(keyUuid));
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
