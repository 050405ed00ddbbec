import { sql, type Kysely, type Transaction } from 'kysely';
import type { HelpDeskRecord, HelpDeskStatus, MessageStatus, MessageType } from '@helpdesk/shared';
import { JOINED_CLIENT_COLUMNS, joinedClient } from './client.repository.js';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface HelpDeskRef {
  id: string;
  uuid: string;
  organizationId: string;
  organizationName: string;
  status: HelpDeskStatus;
}

/** A help desk record's columns, from its help desk `h`, client `c` and last message `m`. */
export const HELP_DESK_RECORD_COLUMNS = [
  'h.uuid',
  'h.created_at',
  'h.updated_at',
  'h.status',
  ...JOINED_CLIENT_COLUMNS,
  'm.uuid as message_uuid',
  'm.created_at as message_created_at',
  'm.updated_at as message_updated_at',
  'm.message as message_message',
  'm.file_key as message_file_key',
  'm.file_name as message_file_name',
  'm.type as message_type',
  'm.status as message_status',
] as const;

function selectHelpDeskRecords(db: Executor) {
  return db
    .selectFrom('help_desks as h')
    .innerJoin('clients as c', 'c.id', 'h.client_id')
    .leftJoin('messages as m', 'm.id', 'h.last_message_id')
    .select(HELP_DESK_RECORD_COLUMNS);
}

/** A row of HELP_DESK_RECORD_COLUMNS (the message's columns are null without a last message). */
export type HelpDeskRow = Awaited<ReturnType<ReturnType<typeof selectHelpDeskRecords>['executeTakeFirstOrThrow']>>;

export function toRecord(row: HelpDeskRow): HelpDeskRecord {
  return {
    uuid: row.uuid,
    created_at: row.created_at,
    updated_at: row.updated_at,
    client: joinedClient(row),
    last_message:
      row.message_uuid === null
        ? null
        : {
            uuid: row.message_uuid,
            created_at: row.message_created_at as string,
            updated_at: row.message_updated_at as string,
            message: row.message_message as string,
            file_key: row.message_file_key,
            file_name: row.message_file_name,
            type: row.message_type as MessageType,
            status: row.message_status as MessageStatus,
            help_desk_uuid: row.uuid,
          },
    status: row.status,
  };
}

/** The organization's help desks (only those with `status`, when given), most recent activity first. */
export async function listHelpDesks(
  db: Executor,
  organizationId: string,
  status?: HelpDeskStatus,
): Promise<HelpDeskRecord[]> {
  let query = selectHelpDeskRecords(db).where('h.organization_id', '=', organizationId);
  if (status !== undefined) query = query.where('h.status', '=', status);
  const rows = await query.orderBy('h.updated_at', 'desc').orderBy('h.id', 'desc').execute();
  return rows.map(toRecord);
}

export interface HelpDeskPage {
  records: HelpDeskRecord[];
  /** Where the page ended (its last help desk's updated_at, as Postgres text, and id), when more follow. */
  next: { updated_at: string; id: string } | undefined;
}

/**
 * One page of the organization's help desks, most recent activity first: the `limit` that come
 * after `after` (updated_at, id) in that order. An index range scan of
 * help_desks_organization_activity_idx (or, with `status`, help_desks_organization_status_activity_idx).
 */
export async function listHelpDesksPage(
  db: Executor,
  organizationId: string,
  page: { limit: number; after?: { updatedAt: string; id: string } | undefined; status?: HelpDeskStatus | undefined },
): Promise<HelpDeskPage> {
  let query = selectHelpDeskRecords(db).select('h.id').where('h.organization_id', '=', organizationId);
  if (page.status !== undefined) query = query.where('h.status', '=', page.status);
  if (page.after !== undefined) {
    const { updatedAt, id } = page.after;
    query = query.where(sql<boolean>`(h.updated_at, h.id) < (${updatedAt}::timestamptz, ${id}::bigint)`);
  }
  // One more than asked: whether a next page exists, without an empty last page.
  const rows = await query
    .orderBy('h.updated_at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept.at(-1);
  return {
    records: kept.map(toRecord),
    next: more && last ? { updated_at: last.updated_at, id: last.id } : undefined,
  };
}

export async function getHelpDeskRecord(db: Executor, helpDeskId: string): Promise<HelpDeskRecord> {
  return toRecord(await selectHelpDeskRecords(db).where('h.id', '=', helpDeskId).executeTakeFirstOrThrow());
}

export async function createHelpDesk(
  db: Executor,
  helpDesk: { uuid: string; organizationId: string; clientId: string },
): Promise<string> {
  const row = await db
    .insertInto('help_desks')
    .values({ uuid: helpDesk.uuid, organization_id: helpDesk.organizationId, client_id: helpDesk.clientId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The help desk and its organization; with `lock`, its row stays locked until the transaction ends. */
export async function findHelpDesk(db: Executor, uuid: string, lock = false): Promise<HelpDeskRef | undefined> {
  let query = db
    .selectFrom('help_desks as h')
    .innerJoin('organizations as o', 'o.id', 'h.organization_id')
    .select(['h.id', 'h.uuid', 'h.organization_id as organizationId', 'o.name as organizationName', 'h.status'])
    .where('h.uuid', '=', uuid);
  if (lock) query = query.forUpdate('h');
  return query.executeTakeFirst();
}

/**
 * The help desk a message is sent to, and whether its organization delivers through a webhook:
 * one round trip for what send-message needs before it writes.
 */
export async function findHelpDeskToSend(
  db: Executor,
  uuid: string,
): Promise<(HelpDeskRef & { hasWebhook: boolean }) | undefined> {
  return db
    .selectFrom('help_desks as h')
    .innerJoin('organizations as o', 'o.id', 'h.organization_id')
    .leftJoin('organization_webhooks as w', 'w.organization_id', 'h.organization_id')
    .select(['h.id', 'h.uuid', 'h.organization_id as organizationId', 'o.name as organizationName', 'h.status'])
    .select(sql<boolean>`w.organization_id is not null`.as('hasWebhook'))
    .where('h.uuid', '=', uuid)
    .executeTakeFirst();
}

export async function setHelpDeskStatus(db: Executor, helpDeskId: string, status: HelpDeskStatus): Promise<void> {
  await db
    .updateTable('help_desks')
    .set({ status, updated_at: sql<string>`now()` })
    .where('id', '=', helpDeskId)
    .execute();
}

/** The client's most recent open help desk, locked until the transaction ends. */
export async function findOpenHelpDesk(db: Executor, clientId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('help_desks')
    .select('id')
    .where('client_id', '=', clientId)
    .where('status', '=', 'open')
    .orderBy('id', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  return row?.id;
}

/** A new message moves the help desk's last_message and updated_at. */
export async function setLastMessage(db: Executor, helpDeskId: string, messageId: string): Promise<void> {
  await db
    .updateTable('help_desks')
    .set({ last_message_id: messageId, updated_at: sql<string>`now()` })
    .where('id', '=', helpDeskId)
    .execute();
}
