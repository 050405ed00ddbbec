import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type {} from '../plugins/database.plugin.js';
import { historyRead, type EventHistory } from '@helpdesk/shared';
import { lastPublishedSeq, publishedEventsAfter } from '../db/outbox.repository.js';
import type { DB } from '../db/tables.js';

/**
 * The embedded mode's replay history (issue 11, section 2): the outbox table, which keeps every
 * published event for OUTBOX_RETENTION_SECONDS, instead of process memory. A socket that resumes
 * with last_event_id after a restart gets exactly what it missed. The standalone process hands it
 * to its gateway; a distributed gateway keeps reading Redis and never touches the database.
 */
export class OutboxHistory implements EventHistory {
  constructor(
    private readonly db: Kysely<DB>,
    /** The channel prefix (REDIS_PREFIX): channels are `<prefix>org:<name>`. */
    private readonly channelPrefix: string,
    /**
     * Per channel, the id through which the relay has published: its marks may lag behind its
     * publishes by a moment (outbox-relay.ts), and a socket resuming then must not miss those.
     */
    private readonly publishedThrough: (channel: string) => number | undefined = () => undefined,
  ) {}

  async since(channel: string, afterId: number, limit: number): ReturnType<EventHistory['since']> {
    const name = this.organizationOf(channel);
    if (name === undefined) return historyRead(afterId, [], undefined);
    const through = this.publishedThrough(channel);
    const rows = await publishedEventsAfter(this.db, name, afterId, limit, through);
    const events = rows.map((row) => ({ id: Number(row.seq), payload: row.payload }));
    return historyRead(afterId, events, events.length > 0 ? undefined : await lastPublishedSeq(this.db, name, through));
  }

  async latestId(channel: string): Promise<number | undefined> {
    const name = this.organizationOf(channel);
    return name === undefined ? undefined : lastPublishedSeq(this.db, name, this.publishedThrough(channel));
  }

  private organizationOf(channel: string): string | undefined {
    const start = `${this.channelPrefix}org:`;
    return channel.startsWith(start) ? channel.slice(start.length) : undefined;
  }
}

/** The outbox history of a running api (its database), for the gateway beside it in one process. */
export function outboxHistoryOf(api: FastifyInstance, channelPrefix: string): OutboxHistory {
  return new OutboxHistory(api.db, channelPrefix, (channel) => api.relay.publishedThrough(channel));
}
