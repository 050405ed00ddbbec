import { sql, type Kysely, type Transaction } from 'kysely';
import type { MessageRecord, MessageStatus, MessageType } from '@helpdesk/shared';
import { compileOnce } from './compiled-query.js';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export const MESSAGE_COLUMNS = [
  'messages.uuid',
  'messages.created_at',
  'messages.updated_at',
  'messages.message',
  'messages.file_key',
  'messages.file_name',
  'messages.type',
  'messages.status',
] as const;

export interface StoredFileInfo {
  key: string;
  name: string;
  contentType: string;
  size: number;
}

export interface NewMessageInput {
  uuid: string;
  organizationId: string;
  helpDesk: { id: string; uuid: string };
  message: string;
  file: StoredFileInfo | null;
  type: MessageType;
  status: MessageStatus;
}

export interface InsertedMessage {
  id: string;
  record: MessageRecord;
}

/** The messages row a new message is stored as. */
export function newMessageRow(input: NewMessageInput) {
  return {
    uuid: input.uuid,
    organization_id: input.organizationId,
    help_desk_id: input.helpDesk.id,
    message: input.message,
    file_key: input.file?.key ?? null,
    file_name: input.file?.name ?? null,
    file_content_type: input.file?.contentType ?? null,
    file_size: input.file === null ? null : String(input.file.size),
    type: input.type,
    status: input.status,
  };
}

export async function insertMessage(db: Executor, input: NewMessageInput): Promise<InsertedMessage> {
  const row = await db
    .insertInto('messages')
    .values(newMessageRow(input))
    .returning(['messages.id', ...MESSAGE_COLUMNS])
    .executeTakeFirstOrThrow();
  const { id, ...rest } = row;
  return { id, record: { ...rest, help_desk_uuid: input.helpDesk.uuid } };
}

export async function updateMessageStatus(
  db: Executor,
  messageId: string,
  helpDeskUuid: string,
  status: MessageStatus,
): Promise<MessageRecord> {
  const row = await db
    .updateTable('messages')
    // The moment of the change, even inside the transaction that created the message.
    .set({ status, updated_at: sql<string>`clock_timestamp()` })
    .where('id', '=', messageId)
    .returning(MESSAGE_COLUMNS)
    .executeTakeFirstOrThrow();
  return { ...row, help_desk_uuid: helpDeskUuid };
}

/** A help desk's messages, oldest first. */
export async function listMessages(db: Executor, helpDeskId: string, helpDeskUuid: string): Promise<MessageRecord[]> {
  const rows = await db
    .selectFrom('messages')
    .select(MESSAGE_COLUMNS)
    .where('help_desk_id', '=', helpDeskId)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, help_desk_uuid: helpDeskUuid }));
}

export interface MessagePage {
  /** Oldest first, as the whole history. */
  records: MessageRecord[];
  /** The oldest message of the page, when older ones exist: the next page is before it. */
  next: string | undefined;
}

export type HistoryPage =
  | { found: 'no-help-desk' }
  | { found: 'no-position'; helpDesk: { organizationId: string } }
  | { found: 'page'; helpDesk: { uuid: string; organizationId: string }; page: MessagePage };

interface HistoryPageParams {
  helpDesk: string;
  /** Null for the newest page: no position is looked up. */
  before: string | null;
  limit: number;
}

/**
 * The history page as one statement (issue 12: one round trip): the help desk by its uuid, the
 * position `before` (a message of that help desk only), and the `limit` messages before it (or
 * the newest), each a lateral index lookup. Rows: one per message, or one with a null message
 * when there is none.
 */
function historyPageStatement(withBefore: boolean) {
  return compileOnce<HistoryPageParams, HistoryPageRow>((db, param) =>
    db
      .selectFrom('help_desks as h')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('messages as p')
            .select('p.id')
            .where('p.uuid', '=', param('before'))
            .whereRef('p.help_desk_id', '=', 'h.id')
            .as('position'),
        (join) => join.onTrue(),
      )
      .leftJoinLateral(
        (eb) => {
          // The help desk's id reaches this scan as a value of the outer row, unknown when the
          // statement is planned: written as `help_desk_id = h.id`, the planner may walk the
          // primary key backward and filter, reading the whole table for a quiet help desk. As a
          // range on help_desk_id ordered by (help_desk_id, id), only messages_help_desk_idx gives
          // that order, so the page is always a backward range scan of it (the EXPLAIN test).
          let page = eb
            .selectFrom('messages')
            .select(['messages.id', ...MESSAGE_COLUMNS])
            .whereRef('messages.help_desk_id', '>=', 'h.id')
            .whereRef('messages.help_desk_id', '<=', 'h.id');
          if (withBefore) page = page.whereRef('messages.id', '<', 'position.id');
          // One more than asked: whether older messages exist, without an empty last page.
          return page
            .orderBy('messages.help_desk_id', 'desc')
            .orderBy('messages.id', 'desc')
            .limit(param('limit'))
            .as('page');
        },
        (join) => join.onTrue(),
      )
      .select([
        'h.uuid as help_desk_uuid',
        'h.organization_id as help_desk_organization_id',
        'position.id as position_id',
        'page.id',
        'page.uuid',
        'page.created_at',
        'page.updated_at',
        'page.message',
        'page.file_key',
        'page.file_name',
        'page.type',
        'page.status',
      ])
      .where('h.uuid', '=', param('helpDesk')),
  );
}

interface HistoryPageRow {
  help_desk_uuid: string;
  help_desk_organization_id: string;
  position_id: string | null;
  id: string | null;
  uuid: string | null;
  created_at: string | null;
  updated_at: string | null;
  message: string | null;
  file_key: string | null;
  file_name: string | null;
  type: MessageType | null;
  status: MessageStatus | null;
}

const newestPageStatement = historyPageStatement(false);
const pageBeforeStatement = historyPageStatement(true);

/**
 * One page of a help desk's history: the `limit` messages just before the message `before` (or
 * the newest), answered oldest first. Backward range scans of messages_help_desk_idx.
 */
export async function findHistoryPage(
  db: Executor,
  helpDeskUuid: string,
  page: { limit: number; before?: string | undefined },
): Promise<HistoryPage> {
  const statement = page.before === undefined ? newestPageStatement : pageBeforeStatement;
  const rows = await statement.execute(db, {
    helpDesk: helpDeskUuid,
    before: page.before ?? null,
    limit: page.limit + 1,
  });
  const first = rows[0];
  if (first === undefined) return { found: 'no-help-desk' };
  const helpDesk = { uuid: first.help_desk_uuid, organizationId: first.help_desk_organization_id };
  if (page.before !== undefined && first.position_id === null) return { found: 'no-position', helpDesk };
  // Newest first; a lateral's order is not promised through the join, so it is put in order here.
  const messages = rows.filter((row) => row.id !== null).sort((a, b) => compareIds(b.id as string, a.id as string));
  const more = messages.length > page.limit;
  const kept = (more ? messages.slice(0, page.limit) : messages).reverse();
  return {
    found: 'page',
    helpDesk,
    page: {
      records: kept.map((row) => ({
        uuid: row.uuid as string,
        created_at: row.created_at as string,
        updated_at: row.updated_at as string,
        message: row.message as string,
        file_key: row.file_key,
        file_name: row.file_name,
        type: row.type as MessageType,
        status: row.status as MessageStatus,
        help_desk_uuid: helpDesk.uuid,
      })),
      next: more ? (kept[0]?.uuid ?? undefined) : undefined,
    },
  };
}

/** Orders bigint ids given as text (Postgres' int8) without losing precision. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** A stored file and the organization whose message holds it. */
export async function findFileByKey(
  db: Executor,
  key: string,
): Promise<(StoredFileInfo & { organizationId: string }) | undefined> {
  const row = await db
    .selectFrom('messages')
    .select(['file_key', 'file_name', 'file_content_type', 'file_size', 'organization_id'])
    .where('file_key', '=', key)
    .executeTakeFirst();
  if (!row || row.file_key === null) return undefined;
  return {
    key: row.file_key,
    name: row.file_name ?? 'file',
    contentType: row.file_content_type ?? 'application/octet-stream',
    size: Number(row.file_size ?? 0),
    organizationId: row.organization_id,
  };
}

export interface MessageRef {
  id: string;
  status: MessageStatus;
  helpDeskUuid: string;
  organizationId: string;
  organizationName: string;
}

/** The message and where it belongs; with `lock`, its row stays locked until the transaction ends. */
export async function findMessage(db: Executor, uuid: string, lock = false): Promise<MessageRef | undefined> {
  let query = db
    .selectFrom('messages as m')
    .innerJoin('help_desks as h', 'h.id', 'm.help_desk_id')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select([
      'm.id',
      'm.status',
      'h.uuid as helpDeskUuid',
      'm.organization_id as organizationId',
      'o.name as organizationName',
    ])
    .where('m.uuid', '=', uuid);
  if (lock) query = query.forUpdate('m');
  return query.executeTakeFirst();
}
