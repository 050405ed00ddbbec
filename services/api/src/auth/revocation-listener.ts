import { decodeKeyRevoked, type EventBus, type EventSubscriber } from '@helpdesk/shared';
import type { FastifyBaseLogger } from 'fastify';

/**
 * This replica's ear on the bus's key-revocation channel (the one the gateways hear): each
 * revoked key is handed to `onRevoked`; `onGap` is called when revocations may have been missed
 * (the connection to the broker was lost and came back, or a message could not be read).
 */
export class RevocationListener {
  private readonly subscriber: EventSubscriber;
  private subscribed = false;

  constructor(
    bus: Pick<EventBus, 'subscriber'>,
    private readonly channel: string,
    handlers: { onRevoked: (keyUuid: string) => void; onGap: () => void },
    private readonly log: FastifyBaseLogger,
  ) {
    this.subscriber = bus.subscriber((_channel, payload) => {
      const keyUuid = decodeKeyRevoked(payload);
      if (keyUuid === undefined) handlers.onGap();
      else handlers.onRevoked(keyUuid);
    });
    this.subscriber.onResubscribed(handlers.onGap);
  }

  /** Subscribes in the background: while the broker is away the api starts, and just does not listen yet. */
  start(): void {
    this.subscriber.subscribe(this.channel).then(
      () => {
        this.subscribed = true;
      },
      (error: unknown) => this.log.error({ err: error }, 'could not subscribe to key revocations; keys are not cached'),
    );
  }

  /** Whether a revocation published now would be heard. */
  listening(): boolean {
    return this.subscribed && this.subscriber.isConnected();
  }

  async close(): Promise<void> {
    this.subscribed = false;
    await this.subscriber.close();
  }
}
