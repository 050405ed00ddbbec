import {
  DEFAULT_HISTORY_LIMITS,
  historyRead,
  type BusMessageHandler,
  type EventBus,
  type EventHistory,
  type EventPublisher,
  type EventSubscriber,
  type HistoryLimits,
  type KeyRevocationStore,
} from './event-bus.js';
import { encodeKeyRevoked } from '../key-revocations.js';

interface KeptEvent {
  id: number;
  payload: Buffer;
  at: number;
}

/** The embedded mode's bus: api and gateway in one process, no broker. */
export class InProcessBus implements EventBus {
  private readonly subscribers = new Map<string, Set<BusMessageHandler>>();
  private readonly kept = new Map<string, { events: KeptEvent[]; lastId: number }>();
  private readonly revokedKeys = new Map<string, Map<string, number>>();

  constructor(
    private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  publisher(): EventPublisher {
    return {
      publish: (channel, payload) => {
        this.deliver(channel, Buffer.from(payload));
        return Promise.resolve();
      },
      publishSequenced: (events) => {
        for (const event of events) {
          // One Buffer per event, shared by every subscriber, as Redis would deliver it.
          const bytes = Buffer.from(event.payload);
          this.remember(event.channel, event.id, bytes);
          this.deliver(event.channel, bytes);
        }
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
  }

  subscriber(onMessage: BusMessageHandler): EventSubscriber {
    const channels = new Set<string>();
    return {
      subscribe: (channel) => {
        channels.add(channel);
        let handlers = this.subscribers.get(channel);
        if (!handlers) this.subscribers.set(channel, (handlers = new Set()));
        handlers.add(onMessage);
        return Promise.resolve();
      },
      unsubscribe: (channel) => {
        channels.delete(channel);
        this.removeHandler(channel, onMessage);
        return Promise.resolve();
      },
      // In one process nothing disconnects.
      onResubscribed: () => undefined,
      isConnected: () => true,
      close: () => {
        for (const channel of channels) this.removeHandler(channel, onMessage);
        channels.clear();
        return Promise.resolve();
      },
    };
  }

  history(): EventHistory {
    return {
      since: (channel, afterId, limit) => {
        const history = this.kept.get(channel);
        if (!history) return Promise.resolve(historyRead(afterId, [], undefined));
        this.trim(history.events);
        const after = history.events.filter((e) => e.id > afterId).slice(0, limit);
        return Promise.resolve(historyRead(afterId, after, history.lastId));
      },
      latestId: (channel) => Promise.resolve(this.kept.get(channel)?.lastId),
    };
  }

  keyRevocations(channel: string): KeyRevocationStore {
    let kept = this.revokedKeys.get(channel);
    if (!kept) this.revokedKeys.set(channel, (kept = new Map<string, number>()));
    const until = kept;
    return {
      add: (keyUuid, untilMs) => {
        until.set(keyUuid, untilMs);
        this.deliver(channel, Buffer.from(encodeKeyRevoked(keyUuid)));
        return Promise.resolve();
      },
      list: (nowMs) => {
        for (const [keyUuid, untilMs] of until) if (untilMs <= nowMs) until.delete(keyUuid);
        return Promise.resolve([...until.keys()]);
      },
    };
  }

  close(): Promise<void> {
    this.subscribers.clear();
    this.kept.clear();
    this.revokedKeys.clear();
    return Promise.resolve();
  }

  private deliver(channel: string, bytes: Buffer): void {
    const handlers = this.subscribers.get(channel);
    if (handlers) for (const handler of handlers) handler(channel, bytes);
  }

  private remember(channel: string, id: number, payload: Buffer): void {
    let history = this.kept.get(channel);
    if (!history) this.kept.set(channel, (history = { events: [], lastId: 0 }));
    if (id <= history.lastId) return;
    history.events.push({ id, payload, at: this.now() });
    history.lastId = id;
    this.trim(history.events);
  }

  private trim(events: KeptEvent[]): void {
    const oldest = this.now() - this.limits.maxAgeMs;
    let drop = Math.max(0, events.length - this.limits.maxEvents);
    while (drop < events.length && events[drop]!.at < oldest) drop += 1;
    if (drop > 0) events.splice(0, drop);
  }

  private removeHandler(channel: string, handler: BusMessageHandler): void {
    const handlers = this.subscribers.get(channel);
    if (!handlers) return;
    handlers.delete(handler);
    if (handlers.size === 0) this.subscribers.delete(channel);
  }
}
