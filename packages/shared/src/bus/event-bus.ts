// How events travel from the api to the gateways: Redis pub/sub between fleets, or an in-process
// bus when both run in one process. Payloads are encoded envelopes, forwarded as bytes.

export type BusPayload = Buffer | string;
export type BusMessageHandler = (channel: string, payload: BusPayload) => void;

/** One encoded envelope with its per-organization sequence id, bound for a channel. */
export interface SequencedEvent {
  channel: string;
  id: number;
  payload: string;
}

export interface EventPublisher {
  /** Publish to the channel, preserving the order of calls. */
  publish(channel: string, payload: string): Promise<void>;
  /**
   * Appends each event to its channel's bounded history, then publishes it, in the order given,
   * in one round trip. Re-publishing an id already in the history publishes it again without a
   * second history entry (gateways drop the duplicate by id).
   */
  publishSequenced(events: readonly SequencedEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface HistoryRead {
  /** Events after the requested id, oldest first. */
  events: Array<{ id: number; payload: BusPayload }>;
  /** False when the kept history no longer reaches back to the event right after the requested id. */
  complete: boolean;
}

/** What a reconnecting socket missed: the per-channel history kept by publishSequenced. */
export interface EventHistory {
  since(channel: string, afterId: number, limit: number): Promise<HistoryRead>;
  /**
   * The newest id ever published on the channel, even once its history expired; undefined when
   * the channel never carried one (or the broker lost it).
   */
  latestId(channel: string): Promise<number | undefined>;
}

/** How much history each channel keeps: at most this many events, none older than this. */
export interface HistoryLimits {
  maxEvents: number;
  maxAgeMs: number;
}

export interface EventSubscriber {
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /**
   * Called after the connection to the broker came back and its channels were subscribed again:
   * whatever was published in between reached nobody live, and is only in the history.
   */
  onResubscribed(handler: () => void): void;
  /** Whether the connection to the broker is up now (readiness). */
  isConnected(): boolean;
  close(): Promise<void>;
}

/**
 * API keys revoked lately, on a channel of their own (see key-revocations.ts): kept as long as a
 * ticket issued before the revocation can live, so a gateway that starts, or comes back from an
 * outage, learns what it did not hear live.
 */
export interface KeyRevocationStore {
  /** Keeps the key as revoked until `untilMs` and publishes it on the channel, in one step. */
  add(keyUuid: string, untilMs: number): Promise<void>;
  /** The keys kept as revoked at `nowMs`. */
  list(nowMs: number): Promise<string[]>;
}

export interface EventBus {
  publisher(): EventPublisher;
  subscriber(onMessage: BusMessageHandler): EventSubscriber;
  history(): EventHistory;
  keyRevocations(channel: string): KeyRevocationStore;
  close(): Promise<void>;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxEvents: 1000, maxAgeMs: 3_600_000 };

/** The completeness rule both histories share: ids of one channel are contiguous. */
export function historyRead(
  afterId: number,
  kept: Array<{ id: number; payload: BusPayload }>,
  lastId: number | undefined,
): HistoryRead {
  if (kept.length > 0) return { events: kept, complete: kept[0]!.id === afterId + 1 };
  return { events: [], complete: lastId !== undefined && lastId === afterId };
}
