import { sql, type Transaction } from 'kysely';
import type { HelpDeskRecord, MessageRecord } from '@helpdesk/shared';
import { HELP_DESK_RECORD_COLUMNS, toRecord } from './help-desk.repository.js';
import { newMessageRow, type NewMessageInput } from './message.repository.js';
import { takeEventIds } from './outbox.repository.js';
import type { DB } from './tables.js';

// send-message's writes in one statement (data-modifying CTEs): the message, the help desk's new
// last message, and the organization's event ids for the events that announce them. One round
// trip instead of four (insert, update, read back, number), on the busiest write path.

export interface SentMessageInput extends Omit<NewMessageInput, 'type'> {
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
          ...newMessageRow({ ...input, type: 'sent' }),
          // Stored `sent` at once, it was `sending` as of created_at and became `sent` just after:
          // its updated_at says so, strictly later (a client keeping the newer version of a
          // message by updated_at must not drop the update_message).
          ...(input.status === 'sent' ? { updated_at: sql<string>`now() + interval '1 microsecond'` } : {}),
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
        .set({ event_seq: takeEventIds(input.eventCount) })
        .where('id', '=', input.organizationId)
        // After `h` (Postgres runs CTEs as the query pulls them): rows are locked help desk first,
        // organization second, the order every other writer uses; otherwise a help-desk status
        // change running at the same time deadlocks with this statement.
        .where((eb) => eb.exists(eb.selectFrom('h').select('h.uuid')))
        .returning('event_seq'),
    )
    // h last: the join binds to the FROM item right before it.
    .selectFrom(['m', 'o', 'h'])
    .innerJoin('clients as c', 'c.id', 'h.client_id')
    .select(HELP_DESK_RECORD_COLUMNS)
    .select(['m.id as message_id', 'o.event_seq'])
    .executeTakeFirstOrThrow();
  const helpDesk = toRecord(row);
  if (helpDesk.last_message === null) throw new Error('the message just inserted is missing');
  return {
    messageId: row.message_id,
    message: { ...helpDesk.last_message },
    helpDesk,
    lastEventId: Number(row.event_seq),
  };
}
