import { sql, type Kysely, type Transaction } from 'kysely';
import { encodeEnvelope, type EventPayloads, type EventType } from '@helpdesk/shared';
import { compileOnce } from './compiled-query.js';
import type { DB } from './tables.js';

/** The channel the relay's leader LISTENs on: a replica that does not lead says there it committed events. */
export const OUTBOX_NOTIFY_CHANNEL = 'helpdesk_outbox';

/**
 * Tells the relay's leader that events were committed, in a statement of its own: never inside the
 * transaction that adds them (a notifying transaction holds a lock for the whole Postgres instance
 * from its commit until it ends, so such commits would run one at a time). This one writes
 * nothing, so it holds that lock for no WAL flush.
 */
export async function notifyEventsCommitted(db: Kysely<DB>): Promise<void> {
  await sql`select pg_notify(${OUTBOX_NOTIFY_CHANNEL}, '')`.execute(db);
}

/** One event to announce, typed by its name. */
export type OutgoingEvent = { [K in EventType]: { type: K; payload: EventPayloads[K] } }[EventType];

/**
 * Records events in the outbox inside the caller's transaction, numbered with the organization's
 * next ids. They commit, or roll back, with the change that caused them; the relay publishes them.
 */
export async function enqueueEvents(
  trx: Transaction<DB>,
  organization: { id: string; name: string },
  events: readonly OutgoingEvent[],
): Promise<number[]> {
  if (events.length === 0) return [];
  const { event_seq } = await trx
    .updateTable('organizations')
    .set({ event_seq: takeEventIds(events.length) })
    .where('id', '=', organization.id)
    .returning('event_seq')
    .executeTakeFirstOrThrow();
  return insertNumberedEvents(trx, organization, events, Number(event_seq));
}

/**
 * organizations.event_seq raised by `count`: the ids of that many events, the new value the last
 * of them. Row-locked by the update, so concurrent writers of an organization number in turn.
 */
export function takeEventIds(count: number) {
  return sql<string>`event_seq + ${count}`;
}

// One query text whatever the number of events (arrays, unnested side by side): rows are
// inserted, and so numbered by the outbox's id, in the order of the arrays.
const insertEventsStatement = compileOnce<
  { organizationId: string; organizationName: string; seqs: string[]; payloads: string[] },
  unknown
>((db, param) =>
  db
    .insertInto('outbox_events')
    .columns(['organization_id', 'organization_name', 'seq', 'payload'])
    .expression(
      db.selectNoFrom([
        sql<string>`${param('organizationId')}::bigint`.as('organization_id'),
        sql<string>`${param('organizationName')}::text`.as('organization_name'),
        sql<string>`unnest(${param('seqs')}::bigint[])`.as('seq'),
        sql<string>`unnest(${param('payloads')}::text[])`.as('payload'),
      ]),
    ),
);

/**
 * Stores events numbered up to `lastId`, which the caller took for them from the organization's
 * event_seq in the same transaction (enqueueEvents, or a statement that did more at once).
 */
export async function insertNumberedEvents(
  trx: Transaction<DB>,
  organization: { id: string; name: string },
  events: readonly OutgoingEvent[],
  lastId: number,
): Promise<number[]> {
  if (events.length === 0) return [];
  const first = lastId - events.length + 1;
  const ids = events.map((_event, i) => first + i);
  await insertEventsStatement.execute(trx, {
    organizationId: organization.id,
    organizationName: organization.name,
    seqs: ids.map(String),
    payloads: events.map((event, i) => encodeEnvelope(event.type, event.payload as never, ids[i])),
  });
  return ids;
}

/** An event in the outbox: its row id, its organization, its id there and its encoded envelope. */
export interface OutboxEvent {
  id: string;
  organizationName: string;
  seq: number;
  payload: string;
}

export interface UnpublishedEvent extends OutboxEvent {
  /** Seconds since the event committed, as the database saw it when it was read. */
  ageSeconds: number;
}

// One round trip per batch for the relay: the batch it just published is marked, and the next
// one read, by one statement. The CTE's update and the select share one snapshot, so the select
// still sees the rows being marked as unpublished: they are left out by id.
const markThenReadStatement = compileOnce<{ published: string[]; limit: number }, unknown>((db, param) =>
  db
    .with('marked', (qc) =>
      qc
        .updateTable('outbox_events')
        .set({ published_at: sql<string>`now()` })
        // One array parameter, not `in ($1, …)`: one query text whatever the batch's size.
        .where('id', '=', sql<string>`any(${param('published')}::bigint[])`),
    )
    .selectFrom('outbox_events')
    .select(['id', 'organization_name', 'seq', 'payload'])
    .select(sql<string>`extract(epoch from clock_timestamp() - created_at)`.as('age'))
    .where('published_at', 'is', null)
    .where('id', '<>', sql<string>`all(${param('published')}::bigint[])`)
    .orderBy('id')
    .limit(param('limit')),
);

/**
 * Marks the events `published` (ids of events the bus has taken) as published, then answers the
 * next committed events not yet published, oldest first (per organization: in id order); in one
 * statement, so that a relay at work makes one database round trip per batch.
 */
export async function markThenReadUnpublished(
  db: Kysely<DB>,
  published: readonly string[],
  limit: number,
): Promise<UnpublishedEvent[]> {
  const rows = (await markThenReadStatement.execute(db, { published: [...published], limit })) as Array<{
    id: string;
    organization_name: string;
    seq: string;
    payload: string;
    age: string;
  }>;
  return rows.map((r) => ({
    id: r.id,
    organizationName: r.organization_name,
    seq: Number(r.seq),
    payload: r.payload,
    ageSeconds: Number(r.age),
  }));
}

const markPublishedStatement = compileOnce<{ ids: string[] }, unknown>((db, param) =>
  db
    .updateTable('outbox_events')
    .set({ published_at: sql<string>`now()` })
    .where('id', '=', sql<string>`any(${param('ids')}::bigint[])`),
);

export async function markPublished(db: Kysely<DB>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await markPublishedStatement.execute(db, { ids: [...ids] });
}

/** Seconds since the oldest unpublished event was committed; 0 when every event is published. */
export async function oldestUnpublishedAgeSeconds(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('outbox_events')
    .select(sql<string | null>`extract(epoch from now() - min(created_at))`.as('age'))
    .where('published_at', 'is', null)
    .executeTakeFirst();
  return row?.age == null ? 0 : Math.max(0, Number(row.age));
}

/** Deletes up to `limit` events published more than `olderThanSeconds` ago; answers how many. */
export async function prunePublished(db: Kysely<DB>, olderThanSeconds: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('outbox_events')
    .where(
      'id',
      'in',
      db
        .selectFrom('outbox_events')
        .select('id')
        .where('published_at', '<', sql<string>`now() - make_interval(secs => ${olderThanSeconds})`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * An organization's published events after `afterSeq`, oldest first: what the relay already
 * published and the outbox still keeps (OUTBOX_RETENTION_SECONDS). A range of the
 * (organization_id, seq) unique index. `publishedThrough`: an id the caller knows every event up
 * to was published, marked or not yet (the relay of this process).
 */
export async function publishedEventsAfter(
  db: Kysely<DB>,
  organizationName: string,
  afterSeq: number,
  limit: number,
  publishedThrough: number | undefined,
): Promise<Array<{ seq: string; payload: string }>> {
  return db
    .selectFrom('outbox_events as e')
    .innerJoin('organizations as o', 'o.id', 'e.organization_id')
    .select(['e.seq', 'e.payload'])
    .where('o.name', '=', organizationName)
    .where('e.seq', '>', String(afterSeq))
    .where((eb) => eb.or([eb('e.published_at', 'is not', null), eb('e.seq', '<=', String(publishedThrough ?? 0))]))
    .orderBy('e.seq')
    .limit(limit)
    .execute();
}

/**
 * The newest id the relay has published for the organization: the last id given, unless some are
 * still waiting in the outbox (then the one before the first of those). Undefined for an unknown
 * organization or one without events. `publishedThrough` as for publishedEventsAfter.
 */
export async function lastPublishedSeq(
  db: Kysely<DB>,
  organizationName: string,
  publishedThrough: number | undefined,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('organizations as o')
    .select([
      'o.event_seq',
      (eb) =>
        eb
          .selectFrom('outbox_events as e')
          .select((inner) => inner.fn.min('e.seq').as('first'))
          .whereRef('e.organization_id', '=', 'o.id')
          .where('e.published_at', 'is', null)
          .where('e.seq', '>', String(publishedThrough ?? 0))
          .as('first_unpublished'),
    ])
    .where('o.name', '=', organizationName)
    .executeTakeFirst();
  if (!row) return undefined;
  const last = row.first_unpublished === null ? Number(row.event_seq) : Number(row.first_unpublished) - 1;
  return last > 0 ? last : undefined;
}
