import { Cluster, Redis, type RedisOptions } from 'ioredis';
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
  type SequencedEvent,
} from './event-bus.js';
import { encodeKeyRevoked } from '../key-revocations.js';
import { MAX_TICKET_TTL_SECONDS } from '../tickets.js';
import { withTimeout } from '../timeout.js';

export interface RedisBusOptions {
  /** One Redis, or (cluster) one or more seed nodes separated by commas. */
  url: string;
  /** Name shown in CLIENT LIST, to tell connections apart when operating Redis. */
  connectionName: string;
  history?: HistoryLimits;
  /**
   * A Redis Cluster with sharded pub/sub (Redis 7: SPUBLISH/SSUBSCRIBE): each organization's
   * channel and history live on the shard that owns its slot, so pub/sub traffic grows per shard
   * instead of being broadcast to every node.
   */
  cluster?: boolean;
}

/**
 * A channel's history is a Redis stream beside it; entry ids are the events' own ids (`<id>-0`).
 * The hash tag puts the stream in the channel's own slot (a sharded channel hashes like a key),
 * so one MULTI can append and publish on a Cluster too.
 */
export function historyKey(channel: string): string {
  return `{${channel}}:history`;
}

/**
 * The channel's newest event id, kept apart from the stream because the stream expires with
 * the history's age limit: a sorted set of one member, raised with ZADD GT so that an event
 * published again never lowers it. Never expires (one small key per organization).
 */
export function lastIdKey(channel: string): string {
  return `{${channel}}:last`;
}

const LAST_ID_MEMBER = 'id';

/** The longest a revocation is kept: a ticket's longest lifetime, and a minute for clocks. */
const KEPT_REVOCATIONS_MS = (MAX_TICKET_TTL_SECONDS + 60) * 1000;

/** Revoked keys announced on the channel, scored by when they may be forgotten (Unix ms). */
export function revokedKeysKey(channel: string): string {
  return `{${channel}}:kept`;
}

// XADD with an id at or below the stream's top: the event is already in the history.
const ALREADY_KEPT = /equal or smaller than the target stream top item/;

type Client = Redis | Cluster;

/**
 * Redis pub/sub (or sharded pub/sub on a Cluster). Publishing and subscribing use separate
 * connections (a subscribed connection can run nothing else). ioredis reconnects by itself and
 * re-subscribes every channel after a reconnect.
 */
export class RedisBus implements EventBus {
  private readonly connections: Client[] = [];
  private historyReader: Client | undefined;
  private controlClient: Client | undefined;
  private readonly limits: HistoryLimits;
  private readonly sharded: boolean;

  constructor(private readonly options: RedisBusOptions) {
    this.limits = options.history ?? DEFAULT_HISTORY_LIMITS;
    this.sharded = options.cluster === true;
  }

  private connect(role: string): Client {
    const redisOptions: RedisOptions = {
      connectionName: `${this.options.connectionName}:${role}`,
      maxRetriesPerRequest: null,
      // ioredis >= 5.8.2 sends CLIENT SETINFO after an async read during the handshake; a SUBSCRIBE
      // issued in that window is confirmed but its messages never arrive (redis/ioredis#2037).
      disableClientInfo: true,
    };
    const client = this.sharded
      ? new Cluster(
          this.options.url.split(',').map((seed) => seed.trim()),
          { redisOptions, shardedSubscribers: true },
        )
      : new Redis(this.options.url, redisOptions);
    this.connections.push(client);
    return client;
  }

  publisher(): EventPublisher {
    const redis = this.connect('pub');
    const appendAndPublish = async (events: readonly SequencedEvent[]): Promise<void> => {
      const { maxEvents, maxAgeMs } = this.limits;
      const now = String(Date.now());
      // MULTI: history and live delivery happen together or not at all.
      const multi = redis.multi();
      for (const event of events) {
        const key = historyKey(event.channel);
        multi.xadd(key, 'MAXLEN', '~', maxEvents, `${event.id}-0`, 't', now, 'e', event.payload);
        multi.pexpire(key, maxAgeMs);
        multi.zadd(lastIdKey(event.channel), 'GT', event.id, LAST_ID_MEMBER);
        if (this.sharded) multi.spublish(event.channel, event.payload);
        else multi.publish(event.channel, event.payload);
      }
      const results = (await multi.exec()) ?? [];
      for (const [error] of results) {
        if (error && !ALREADY_KEPT.test(error.message)) throw error;
      }
    };
    return {
      publish: async (channel, payload) => {
        if (this.sharded) await redis.spublish(channel, payload);
        else await redis.publish(channel, payload);
      },
      publishSequenced: async (events) => {
        if (events.length === 0) return;
        if (!this.sharded) return appendAndPublish(events);
        // On a Cluster a MULTI stays within one slot: one per channel, each in its own order.
        await Promise.all([...groupByChannel(events).values()].map(appendAndPublish));
      },
      close: async () => {
        await quit(redis);
      },
    };
  }

  subscriber(onMessage: BusMessageHandler): EventSubscriber {
    const redis = this.connect('sub');
    // The *Buffer events hand over the payload bytes untouched: no decode, no re-encode.
    const deliver = (channel: Buffer, payload: Buffer) => onMessage(channel.toString(), payload);
    redis.on(this.sharded ? 'smessageBuffer' : 'messageBuffer', deliver);
    const resubscribed: Array<() => void> = [];
    const notify = () => {
      for (const handler of resubscribed) handler();
    };
    if (this.sharded) {
      // On a Cluster each shard has its own subscriber connection in ioredis' subscriber group;
      // the cluster client is not 'ready' again when one of them is lost. A lost one is replaced
      // ('-subscriber'), and once the group has subscribed its channels again it says
      // 'subscribersReady' (which it also says at the start and on other slot refreshes).
      let lostSubscriber = false;
      redis.on('-subscriber', () => {
        lostSubscriber = true;
      });
      redis.on('subscribersReady', () => {
        if (!lostSubscriber) return;
        lostSubscriber = false;
        notify();
      });
    } else {
      // ioredis subscribes every channel again as part of becoming ready after a reconnect.
      let connectedBefore = false;
      redis.on('ready', () => {
        if (connectedBefore) notify();
        connectedBefore = true;
      });
    }
    return {
      subscribe: async (channel) => {
        if (this.sharded) await redis.ssubscribe(channel);
        else await redis.subscribe(channel);
      },
      unsubscribe: async (channel) => {
        if (this.sharded) await redis.sunsubscribe(channel);
        else await redis.unsubscribe(channel);
      },
      onResubscribed: (handler) => {
        resubscribed.push(handler);
      },
      isConnected: () => redis.status === 'ready',
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
        // One MULTI: the range and the latest id come from the same moment, so an event appended
        // in between cannot make an up-to-date reader look behind.
        const [range, latest, newest] = ((await redis
          .multi()
          .xrange(key, `${afterId + 1}-0`, '+', 'COUNT', limit)
          .xrevrange(key, '+', '-', 'COUNT', 1)
          .zscore(lastIdKey(channel), LAST_ID_MEMBER)
          .exec()) ?? []) as Array<[Error | null, unknown]>;
        if (range?.[0]) throw range[0];
        if (latest?.[0]) throw latest[0];
        if (newest?.[0]) throw newest[0];
        const entries = (range?.[1] ?? []) as Array<[string, string[]]>;
        const last = ((latest?.[1] ?? []) as Array<[string, string[]]>)[0];
        const oldest = Date.now() - this.limits.maxAgeMs;
        const kept: Array<{ id: number; payload: string }> = [];
        for (const [entryId, fields] of entries) {
          const at = Number(fieldOf(fields, 't'));
          const payload = fieldOf(fields, 'e');
          // Older than the age limit counts as not kept, even if Redis has not trimmed it yet.
          if (payload === undefined || at < oldest) continue;
          kept.push({ id: streamId(entryId), payload });
        }
        if (kept.length > 0 || entries.length > 0) return historyRead(afterId, kept, undefined);
        // The whole stream may have expired while the channel was idle; its newest id outlives it.
        const newestId = typeof newest?.[1] === 'string' ? Number(newest[1]) : undefined;
        return historyRead(afterId, [], last ? streamId(last[0]) : newestId);
      },
      latestId: async (channel) => {
        const score = await redis.zscore(lastIdKey(channel), LAST_ID_MEMBER);
        return score === null ? undefined : Number(score);
      },
    };
  }

  keyRevocations(channel: string): KeyRevocationStore {
    const redis = (this.controlClient ??= this.connect('control'));
    const key = revokedKeysKey(channel);
    return {
      add: async (keyUuid, untilMs) => {
        // One slot (hash tag): kept and published together, on a Cluster too.
        const multi = redis
          .multi()
          .zadd(key, untilMs, keyUuid)
          .zremrangebyscore(key, '-inf', Date.now())
          // The whole set lives as long as the longest entry can: every entry is kept at most
          // the longest ticket lifetime (plus a minute for clocks) from its announcement.
          .pexpire(key, Math.max(untilMs - Date.now(), KEPT_REVOCATIONS_MS));
        if (this.sharded) multi.spublish(channel, encodeKeyRevoked(keyUuid));
        else multi.publish(channel, encodeKeyRevoked(keyUuid));
        for (const [error] of (await multi.exec()) ?? []) if (error) throw error;
      },
      list: (nowMs) => redis.zrangebyscore(key, `(${nowMs}`, '+inf'),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map(quit));
    this.connections.length = 0;
  }
}

function groupByChannel(events: readonly SequencedEvent[]): Map<string, SequencedEvent[]> {
  const groups = new Map<string, SequencedEvent[]>();
  for (const event of events) {
    const group = groups.get(event.channel);
    if (group) group.push(event);
    else groups.set(event.channel, [event]);
  }
  return groups;
}

/** `<id>-0` → id. */
function streamId(entryId: string): number {
  return Number(entryId.slice(0, entryId.indexOf('-')));
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** How long a close waits for Redis to answer QUIT (one round trip when it is well). */
const QUIT_WAIT_MS = 1_000;

async function quit(redis: Client): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await withTimeout(redis.quit(), QUIT_WAIT_MS);
  } catch {
    // quit fails when the connection is already closed or closing, and waits for ever on a Redis
    // that stopped answering: disconnecting is then enough.
    redis.disconnect();
  }
}
