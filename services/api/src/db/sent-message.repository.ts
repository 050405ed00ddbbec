import { sql, type Transaction } from 'kysely';
import type { HelpDeskRecord, MessageRecord, MessageStatus } from '@helpdesk/shared';
import type { StoredFileInfo } from './message.repository.js';
import type { DB } from './tables.js';

// send-message's writes in one statement (data-modifying CTEs): the message, the help desk's new
// last message, and the organization's event ids for the events that announce them. One round
// trip instead of four (insert, update, read back, number), on the busiest write path.

export interface SentMessageInput {
  uuid: string;
  organizationId: string;
  helpDesk: { id: string; uuid: string };
  message: string;
  file: StoredFileInfo | null;
  status: MessageStatus;
  /** Event ids to take from the organization's event_seq. */
  eventCount: number;
}

export interface SentMessage {
  messageId: string;
  message: MessageRecord;
  /** The help desk as it is now, with the message as its last_message. */
  helpDesk: HelpDeskRecord;
  /** The last of the event ids taken; the first is lastEventId - eventCount + 1. */
  lastEventId: number;
}

export async function insertSentMessage(trx: Transaction<DB>, input: SentMessageInput): Promise<SentMessage> {
  const row = await trx
    .with('m', (db) =>
      db
        .insertInto('messages')
        .values({
          uuid: input.uuid,
          organization_id: input.organizationId,
          help_desk_id: input.helpDesk.id,
          message: input.message,
          file_key: input.file?.key ?? null,
          file_name: input.file?.name ?? null,
          file_content_type: input.file?.contentType ?? null,
          file_size: input.file === null ? null : String(input.file.size),
          type: 'sent',
          status: input.status,
        })
        .returning(['id', 'uuid', 'created_at', 'updated_at', 'message', 'file_key', 'file_name', 'type', 'status']),
    )
    .with('h', (db) =>
      db
        .updateTable('help_desks')
        .set({
          last_message_id: (eb) => eb.selectFrom('m').select('m.id'),
          updated_at: sql<string>`now()`,
        })
        .where('id', '=', input.helpDesk.id)
        .returning(['uuid', 'created_at', 'updated_at', 'status', 'client_id']),
    )
    .with('o', (db) =>
      db
        .updateTable('organizations')
        .set({ event_seq: sql<string>`event_seq + ${input.eventCount}` })
        .where('id', '=', input.organizationId)
        .returning('event_seq'),
    )
    // h last: the join binds to the FROM item right before it.
    .selectFrom(['m', 'o', 'h'])
    .innerJoin('clients as c', 'c.id', 'h.client_id')
    .select([
      'm.id as message_id',
      'm.uuid as message_uuid',
      'm.created_at as message_created_at',
      'm.updated_at as message_updated_at',
      'm.message as message_message',
      'm.file_key as message_file_key',
      'm.file_name as message_file_name',
      'm.type as message_type',
      'm.status as message_status',
      'h.uuid',
      'h.created_at',
      'h.updated_at',
      'h.status',
      'c.uuid as client_uuid',
      'c.created_at as client_created_at',
      'c.updated_at as client_updated_at',
      'c.name as client_name',
      'c.phone as client_phone',
      'o.event_seq',
    ])
    .executeTakeFirstOrThrow();
  const message: MessageRecord = {
    uuid: row.message_uuid,
    created_at: row.message_created_at,
    updated_at: row.message_updated_at,
    message: row.message_message,
    file_key: row.message_file_key,
    file_name: row.message_file_name,
    type: row.message_type,
    status: row.message_status,
    help_desk_uuid: row.uuid,
  };
  return {
    messageId: row.message_id,
    message,
    helpDesk: {
      uuid: row.uuid,
      created_at: row.created_at,
      updated_at: row.updated_at,
      client: {
        uuid: row.client_uuid,
        created_at: row.client_created_at,
        updated_at: row.client_updated_at,
        name: row.client_name,
        phone: row.client_phone,
      },
      last_message: { ...message },
      status: row.status,
    },
    lastEventId: Number(row.event_seq),
  };
}
