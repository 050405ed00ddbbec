import { Redis } from 'ioredis';
import {
  DEFAULT_HISTORY_LIMITS,
  historyRead,
  type BusMessageHandler,
  type EventBus,
  type EventHistory,
  type EventPublisher,
  type EventSubscriber,
  type HistoryLimits,
} from './event-bus.js';

export interface RedisBusOptions {
  url: string;
  /** Name shown in CLIENT LIST, to tell connections apart when operating Redis. */
  connectionName: string;
  history?: HistoryLimits;
}

/** A channel's history is a Redis stream beside it; entry ids are the events' own ids (`<id>-0`). */
export function historyKey(channel: string): string {
  return `${channel}:history`;
}

// XADD with an id at or below the stream's top: the event is already in the history.
const ALREADY_KEPT = /equal or smaller than the target stream top item/;

/**
 * Redis pub/sub. Publishing and subscribing use separate connections (a subscribed connection
 * can run nothing else). ioredis reconnects by itself and re-subscribes every channel after a
 * reconnect (autoResubscribe).
 */
export class RedisBus implements EventBus {
  private readonly connections: Redis[] = [];
  private historyReader: Redis | undefined;
  private readonly limits: HistoryLimits;
  constructor(private readonly options: RedisBusOptions) {
    this.limits = options.history ?? DEFAULT_HISTORY_LIMITS;
  }

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
      publishSequenced: async (events) => {
        if (events.length === 0) return;
        const { maxEvents, maxAgeMs } = this.limits;
        const now = String(Date.now());
        // MULTI: history and live delivery of a batch happen together or not at all.
        const multi = redis.multi();
        for (const event of events) {
          const key = historyKey(event.channel);
          multi.xadd(key, 'MAXLEN', '~', maxEvents, `${event.id}-0`, 't', now, 'e', event.payload);
          multi.pexpire(key, maxAgeMs);
          multi.publish(event.channel, event.payload);
        }
        const results = (await multi.exec()) ?? [];
        for (const [error] of results) {
          if (error && !ALREADY_KEPT.test(error.message)) throw error;
        }
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

  history(): EventHistory {
    const redis = (this.historyReader ??= this.connect('history'));
    return {
      since: async (channel, afterId, limit) => {
        const key = historyKey(channel);
        const entries = await redis.xrange(key, `${afterId + 1}-0`, '+', 'COUNT', limit);
        const oldest = Date.now() - this.limits.maxAgeMs;
        const kept: Array<{ id: number; payload: string }> = [];
        for (const [entryId, fields] of entries) {
          const at = Number(fieldOf(fields, 't'));
          const payload = fieldOf(fields, 'e');
          // Older than the age limit counts as not kept, even if Redis has not trimmed it yet.
          if (payload === undefined || at < oldest) continue;
          kept.push({ id: Number(entryId.slice(0, entryId.indexOf('-'))), payload });
        }
        if (kept.length > 0 || entries.length > 0) return historyRead(afterId, kept, undefined);
        const [last] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
        return historyRead(afterId, [], last ? Number(last[0].slice(0, last[0].indexOf('-'))) : undefined);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map(quit));
    this.connections.length = 0;
  }
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
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
