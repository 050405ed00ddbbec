// How events travel from the api to the gateways: Redis pub/sub between fleets, or an in-process
// bus when both run in one process. Payloads are encoded envelopes, forwarded as bytes.

export type BusPayload = Buffer | string;
export type BusMessageHandler = (channel: string, payload: BusPayload) => void;

export interface EventPublisher {
  /** Publish to the channel, preserving the order of calls. */
  publish(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface EventSubscriber {
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

export interface EventBus {
  publisher(): EventPublisher;
  subscriber(onMessage: BusMessageHandler): EventSubscriber;
  close(): Promise<void>;
}
