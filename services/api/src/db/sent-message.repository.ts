import { sql, type Transaction } from 'kysely';
import type { HelpDeskRecord, MessageRecord } from '@helpdesk/shared';
import { compileOnce } from './compiled-query.js';
import { HELP_DESK_RECORD_COLUMNS, toRecord } from './help-desk.repository.js';
import type { StoredFileInfo } from './message.repository.js';
import type { DB } from './tables.js';

// send-message's reads and writes in one statement (data-modifying CTEs): the help desk (and
// whether its organization delivers through a webhook), the message, the help desk's new last
// message, and the organization's event ids for the events that announce them. One round trip
// instead of five (read, insert, update, read back, number), on the busiest write path.

/** Events announcing a sent message: new_message and update_helpdesk, and update_message without a webhook. */
export const SENT_EVENTS_WITH_WEBHOOK = 2;
export const SENT_EVENTS_WITHOUT_WEBHOOK = 3;

export interface SentMessageInput {
  uuid: string;
  helpDeskUuid: string;
  /** Only a help desk of this organization is written to (an organization's key); null: any. */
  organizationId: string | null;
  message: string;
  file: StoredFileInfo | null;
}

export interface SentMessage {
  messageId: string;
  organizationId: string;
  organizationName: string;
  /**
   * The organization delivers through a webhook: the message is stored `sending` and two event
   * ids were taken; without, it is stored `sent` and three were.
   */
  hasWebhook: boolean;
  message: MessageRecord;
  /** The help desk as it is now, with the message as its last_message. */
  helpDesk: HelpDeskRecord;
  /** The last of the event ids taken; the first is lastEventId - eventCount + 1. */
  lastEventId: number;
}

interface Params {
  uuid: string;
  helpDeskUuid: string;
  organizationId: string | null;
  message: string;
  fileKey: string | null;
  fileName: string | null;
  fileContentType: string | null;
  fileSize: string | null;
}

export const sendStatement = compileOnce<Params, unknown>((db, param) =>
  db
    .with('d', (db) =>
      db
        .selectFrom('help_desks as hd')
        .innerJoin('organizations as org', 'org.id', 'hd.organization_id')
        .select(['hd.id', 'hd.organization_id', 'org.name as organization_name'])
        .select((eb) =>
          eb
            .exists(
              eb.selectFrom('organization_webhooks as w').whereRef('w.organization_id', '=', 'hd.organization_id'),
            )
            .as('has_webhook'),
        )
        .where('hd.uuid', '=', param('helpDeskUuid'))
        .where((eb) =>
          eb.or([
            eb(sql`${param('organizationId')}::bigint`, 'is', null),
            eb('hd.organization_id', '=', sql<string>`${param('organizationId')}::bigint`),
          ]),
        ),
    )
    .with('m', (db) =>
      db
        .insertInto('messages')
        .columns([
          'uuid',
          'organization_id',
          'help_desk_id',
          'message',
          'file_key',
          'file_name',
          'file_content_type',
          'file_size',
          'type',
          'status',
          'updated_at',
        ])
        .expression((eb) =>
          eb.selectFrom('d').select([
            sql<string>`${param('uuid')}::uuid`.as('uuid'),
            'd.organization_id',
            'd.id',
            sql<string>`${param('message')}::text`.as('message'),
            sql<string>`${param('fileKey')}::text`.as('file_key'),
            sql<string>`${param('fileName')}::text`.as('file_name'),
            sql<string>`${param('fileContentType')}::text`.as('file_content_type'),
            sql<string>`${param('fileSize')}::bigint`.as('file_size'),
            sql<string>`'sent'`.as('type'),
            // With a webhook it stays `sending` until the webhook answers. Without one nothing
            // else delivers it: stored `sent` at once, it was `sending` as of created_at and
            // became `sent` just after: its updated_at says so, strictly later (a client keeping
            // the newer version of a message by updated_at must not drop the update_message).
            sql<string>`case when d.has_webhook then 'sending' else 'sent' end`.as('status'),
            sql<string>`case when d.has_webhook then now() else now() + interval '1 microsecond' end`.as('updated_at'),
          ]),
        )
        .returning([
          'id',
          'help_desk_id',
          'uuid',
          'created_at',
          'updated_at',
          'message',
          'file_key',
          'file_name',
          'type',
          'status',
        ]),
    )
    .with('h', (db) =>
      db
        .updateTable('help_desks')
        .set({
          last_message_id: (eb) => eb.selectFrom('m').select('m.id'),
          updated_at: sql<string>`now()`,
        })
        .where('id', '=', (eb) => eb.selectFrom('m').select('m.help_desk_id'))
        .returning(['uuid', 'created_at', 'updated_at', 'status', 'client_id']),
    )
    .with('o', (db) =>
      db
        .updateTable('organizations')
        .set({
          event_seq: sql<string>`event_seq + (select case when d.has_webhook then ${sql.lit(SENT_EVENTS_WITH_WEBHOOK)} else ${sql.lit(SENT_EVENTS_WITHOUT_WEBHOOK)} end from d)`,
        })
        .where('id', '=', (eb) => eb.selectFrom('d').select('d.organization_id'))
        // After `h` (Postgres runs CTEs as the query pulls them): rows are locked help desk first,
        // organization second, the order every other writer uses; otherwise a help-desk status
        // change running at the same time deadlocks with this statement.
        .where((eb) => eb.exists(eb.selectFrom('h').select('h.uuid')))
        .returning('event_seq'),
    )
    // h last: the join binds to the FROM item right before it.
    .selectFrom(['d', 'm', 'o', 'h'])
    .innerJoin('clients as c', 'c.id', 'h.client_id')
    .select(HELP_DESK_RECORD_COLUMNS)
    .select(['m.id as message_id', 'o.event_seq', 'd.organization_id', 'd.organization_name', 'd.has_webhook']),
);

type SendRow = Parameters<typeof toRecord>[0] & {
  message_id: string;
  event_seq: string;
  organization_id: string;
  organization_name: string;
  has_webhook: boolean;
};

/** Undefined when there is no such help desk (or it is another organization's). */
export async function insertSentMessage(
  trx: Transaction<DB>,
  input: SentMessageInput,
): Promise<SentMessage | undefined> {
  const [row] = (await sendStatement.execute(trx, {
    uuid: input.uuid,
    helpDeskUuid: input.helpDeskUuid,
    organizationId: input.organizationId,
    message: input.message,
    fileKey: input.file?.key ?? null,
    fileName: input.file?.name ?? null,
    fileContentType: input.file?.contentType ?? null,
    fileSize: input.file === null ? null : String(input.file.size),
  })) as SendRow[];
  if (row === undefined) return undefined;
  const helpDesk = toRecord(row);
  if (helpDesk.last_message === null) throw new Error('the message just inserted is missing');
  return {
    messageId: row.message_id,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    hasWebhook: row.has_webhook,
    message: { ...helpDesk.last_message },
    helpDesk,
    lastEventId: Number(row.event_seq),
  };
}
