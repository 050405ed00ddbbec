import { sql, type Kysely, type Transaction } from 'kysely';
import type { MessageRecord, MessageStatus, MessageType } from '@helpdesk/shared';
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

/**
 * One page of a help desk's history: the `limit` messages just before the message with id
 * `beforeId` (or the newest), answered oldest first. A backward range scan of messages_help_desk_idx.
 */
export async function listMessagesPage(
  db: Executor,
  helpDesk: { id: string; uuid: string },
  page: { limit: number; beforeId?: string | undefined },
): Promise<MessagePage> {
  let query = db.selectFrom('messages').select(MESSAGE_COLUMNS).where('help_desk_id', '=', helpDesk.id);
  if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
  // One more than asked: whether older messages exist, without an empty last page.
  const rows = await query
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const kept = (more ? rows.slice(0, page.limit) : rows).reverse();
  return {
    records: kept.map((row) => ({ ...row, help_desk_uuid: helpDesk.uuid })),
    next: more ? kept[0]?.uuid : undefined,
  };
}

/** The id of a message of this help desk; undefined for any other (unknown, another help desk's). */
export async function findMessageIdInHelpDesk(
  db: Executor,
  helpDeskId: string,
  uuid: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('uuid', '=', uuid)
    .where('help_desk_id', '=', helpDeskId)
    .executeTakeFirst();
  return row?.id;
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
