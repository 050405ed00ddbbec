import {
  encodeEnvelope,
  organizationChannel,
  type EventPayloads,
  type EventPublisher,
  type EventType,
} from '@helpdesk/shared';

/** Publishes an organization's events to its channel, each envelope encoded once, here. */
export class OrganizationEvents {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly channelPrefix: string,
  ) {}

  async publish<T extends EventType>(organizationName: string, type: T, payload: EventPayloads[T]): Promise<void> {
    await this.publisher.publish(
      organizationChannel(this.channelPrefix, organizationName),
      encodeEnvelope(type, payload),
    );
  }
}
