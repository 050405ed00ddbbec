import { Redis } from 'ioredis';
import type { BusMessageHandler, EventBus, EventPublisher, EventSubscriber } from './event-bus.js';

export interface RedisBusOptions {
  url: string;
  /** Name shown in CLIENT LIST, to tell connections apart when operating Redis. */
  connectionName: string;
}

/**
 * Redis pub/sub. Publishing and subscribing use separate connections (a subscribed connection
 * can run nothing else). ioredis reconnects by itself and re-subscribes every channel after a
 * reconnect (autoResubscribe).
 */
export class RedisBus implements EventBus {
  private readonly connections: Redis[] = [];
  constructor(private readonly options: RedisBusOptions) {}

  private connect(role: string): Redis {
    const redis = new Redis(this.options.url, {
      connectionName: `${this.options.connectionName}:${role}`,
      lazyConnect: false,
      maxRetriesPerRequest: null,
      // ioredis >= 5.8.2 sends CLIENT SETINFO after an async read during the handshake; a SUBSCRIBE
      // issued in that window is confirmed but its messages never arrive (redis/ioredis#2037).
      disableClientInfo: true,
    });
    this.connections.push(redis);
    return redis;
  }

  publisher(): EventPublisher {
    const redis = this.connect('pub');
    return {
      publish: async (channel, payload) => {
        await redis.publish(channel, payload);
      },
      close: async () => {
        await quit(redis);
      },
    };
  }

  subscriber(onMessage: BusMessageHandler): EventSubscriber {
    const redis = this.connect('sub');
    // messageBuffer hands over the payload bytes untouched: no decode, no re-encode.
    redis.on('messageBuffer', (channel: Buffer, payload: Buffer) => onMessage(channel.toString(), payload));
    return {
      subscribe: async (channel) => {
        await redis.subscribe(channel);
      },
      unsubscribe: async (channel) => {
        await redis.unsubscribe(channel);
      },
      close: async () => {
        await quit(redis);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map(quit));
    this.connections.length = 0;
  }
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    // quit fails when the connection is already closed or closing; disconnect is then enough.
    redis.disconnect();
  }
}
