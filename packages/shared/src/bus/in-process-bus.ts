import type { BusMessageHandler, EventBus, EventPublisher, EventSubscriber } from './event-bus.js';

/** The embedded mode's bus: api and gateway in one process, no broker. */
export class InProcessBus implements EventBus {
  private readonly subscribers = new Map<string, Set<BusMessageHandler>>();

  publisher(): EventPublisher {
    return {
      publish: (channel, payload) => {
        const handlers = this.subscribers.get(channel);
        if (handlers) {
          // One Buffer per event, shared by every subscriber, as Redis would deliver it.
          const bytes = Buffer.from(payload);
          for (const handler of handlers) handler(channel, bytes);
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
      close: () => {
        for (const channel of channels) this.removeHandler(channel, onMessage);
        channels.clear();
        return Promise.resolve();
      },
    };
  }

  close(): Promise<void> {
    this.subscribers.clear();
    return Promise.resolve();
  }

  private removeHandler(channel: string, handler: BusMessageHandler): void {
    const handlers = this.subscribers.get(channel);
    if (!handlers) return;
    handlers.delete(handler);
    if (handlers.size === 0) this.subscribers.delete(channel);
  }
}
