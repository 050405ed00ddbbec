import { sql, type Kysely, type Transaction } from 'kysely';
import type { ClientRecord, MessageRecord } from '@helpdesk/shared';
import { JOINED_CLIENT_COLUMNS, joinedClient } from './client.repository.js';
import { MESSAGE_COLUMNS } from './message.repository.js';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface WebhookRecord {
  url: string;
  created_at: string;
  updated_at: string;
}

/** Sets (or replaces) the organization's delivery webhook. */
export async function setWebhook(
  db: Executor,
  organizationId: string,
  webhook: { url: string; secret: string },
): Promise<WebhookRecord> {
  return db
    .insertInto('organization_webhooks')
    .values({ organization_id: organizationId, url: webhook.url, secret: webhook.secret })
    .onConflict((oc) =>
      oc.column('organization_id').doUpdateSet({ url: webhook.url, secret: webhook.secret, updated_at: sql`now()` }),
    )
    .returning(['url', 'created_at', 'updated_at'])
    .executeTakeFirstOrThrow();
}

export async function findWebhook(db: Executor, organizationId: string): Promise<WebhookRecord | undefined> {
  return db
    .selectFrom('organization_webhooks')
    .select(['url', 'created_at', 'updated_at'])
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
}

export async function hasWebhook(db: Executor, organizationId: string): Promise<boolean> {
  return (await findWebhook(db, organizationId)) !== undefined;
}

export async function deleteWebhook(db: Executor, organizationId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('organization_webhooks')
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface ClaimedDelivery {
  id: string;
  messageId: string;
  /** This attempt's number, from 1. */
  attempt: number;
}

/**
 * Claims up to `limit` due deliveries: each one's attempt is counted and its next attempt pushed
 * `leaseMs` ahead, in one statement that skips rows another replica is claiming. A claim that is
 * never settled (the process died mid-POST) comes due again when its lease ends.
 */
export async function claimDueDeliveries(db: Executor, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<{ id: string; message_id: string; attempts: number }>`
    update webhook_deliveries d
    set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
    from (
      select id from webhook_deliveries
      where next_attempt_at <= now()
      order by next_attempt_at, id
      limit ${limit}
      for update skip locked
    ) due
    where d.id = due.id
    returning d.id, d.message_id, d.attempts
  `.execute(db);
  return rows.map((r) => ({ id: String(r.id), messageId: String(r.message_id), attempt: Number(r.attempts) }));
}

export interface DeliveryContent {
  organizationId: string;
  organizationName: string;
  fileBaseUrl: string;
  /** Undefined when the webhook was removed since the message was sent. */
  webhook: { url: string; secret: string } | undefined;
  message: MessageRecord;
  client: ClientRecord;
}

/** What a delivery posts: the message as it is now, its client, and where to post it. */
export async function deliveryContent(db: Executor, deliveryId: string): Promise<DeliveryContent | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('messages', 'messages.id', 'd.message_id')
    .innerJoin('help_desks as h', 'h.id', 'messages.help_desk_id')
    .innerJoin('clients as c', 'c.id', 'h.client_id')
    .innerJoin('organizations as o', 'o.id', 'd.organization_id')
    .leftJoin('organization_webhooks as w', 'w.organization_id', 'd.organization_id')
    .select([
      ...MESSAGE_COLUMNS,
      'h.uuid as help_desk_uuid',
      ...JOINED_CLIENT_COLUMNS,
      'o.id as organization_id',
      'o.name as organization_name',
      'd.file_base_url',
      'w.url as webhook_url',
      'w.secret as webhook_secret',
    ])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    fileBaseUrl: row.file_base_url,
    webhook:
      row.webhook_url === null || row.webhook_secret === null
        ? undefined
        : { url: row.webhook_url, secret: row.webhook_secret },
    message: {
      uuid: row.uuid,
      created_at: row.created_at,
      updated_at: row.updated_at,
      message: row.message,
      file_key: row.file_key,
      file_name: row.file_name,
      type: row.type,
      status: row.status,
      help_desk_uuid: row.help_desk_uuid,
    },
    client: joinedClient(row),
  };
}

export async function rescheduleDelivery(db: Executor, id: string, delayMs: number, error: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: sql<string>`now() + make_interval(secs => ${delayMs / 1000})`, last_error: error })
    .where('id', '=', id)
    .execute();
}

export async function deleteDelivery(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('id', '=', id).execute();
}

/** Deliveries not yet settled (a gauge, and for tests). */
export async function pendingDeliveries(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
