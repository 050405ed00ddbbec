import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { HelpDeskRecord, MessageRecord } from '@helpdesk/shared';
import { toRecord, type HelpDeskRow } from './help-desk.repository.js';
import type { StoredFileInfo } from './message.repository.js';
import type { OutboxEvent } from './outbox.repository.js';
import type { DB } from './tables.js';

// send-message as one statement, a single round trip and no transaction around it: find the help
// desk (only among those the key may write to), insert the message, move the help desk, take the
// organization's event ids, store the events in the outbox and, for an organization with a
// delivery webhook, queue the delivery. The outbox rows hold encoded envelopes, which need the
// timestamps only Postgres knows before the statement ends, so the statement writes the contract's
// JSON itself: keys in CONTRACT.md's order, timestamps as pgTimestampToIso prints them, strings
// escaped by to_json. send-message.statement.test.ts checks it byte for byte against what
// packages/shared encodes for the same rows; a change to the serializers must change both.

/** A timestamptz as the contract prints it: six fractional digits and a ±HH:MM offset. */
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM')`;
const jsonString = (expression: string) => `to_json(${expression})::text`;

/** A Message object of the inserted row `m`, with `status` and `updated_at` given as SQL. */
function messageJson(status: string, updatedAt: string): string {
  return [
    `'{"created_at":"' || ${iso('m.created_at')}`,
    `'","updated_at":"' || ${iso(updatedAt)}`,
    `'","uuid":"' || m.uuid`,
    `'","message":' || ${jsonString('m.message')}`,
    `',"file":' || coalesce(${jsonString('$9::text')}, 'null')`,
    `',"type":' || ${jsonString('m.type')}`,
    `',"status":' || ${jsonString(status)}`,
    `',"help_desk":"' || d.uuid || '"}'`,
  ].join(' || ');
}

/**
 * $1 help desk uuid, $2 the key's organization (null: any), $3 message uuid, $4 text, $5–$8 the
 * stored file's key, name, content type and size (null without), $9 its absolute URL (null
 * without), $10 the base of file URLs (for a webhook delivery). No row: no such help desk.
 *
 * Rows are locked help desk first (`h`), organization second (`o` waits for `h`): the order every
 * other writer uses, or a help-desk status change running at the same time deadlocks with this.
 */
export const SEND_MESSAGE_SQL = `
with d as (
  select h.id, h.uuid, h.organization_id, o.name as organization_name,
         c.uuid as client_uuid, c.created_at as client_created_at, c.updated_at as client_updated_at,
         c.name as client_name, c.phone as client_phone,
         exists (select from organization_webhooks w where w.organization_id = h.organization_id) as has_webhook
  from help_desks h
  join organizations o on o.id = h.organization_id
  join clients c on c.id = h.client_id
  where h.uuid = $1::uuid and ($2::bigint is null or h.organization_id = $2::bigint)
), m as (
  -- With a webhook it stays sending until the webhook answers. Without one nothing else delivers
  -- it: stored sent at once, it was sending as of created_at and became sent just after, which
  -- its updated_at says, strictly later (a client keeping the newer version of a message by
  -- updated_at must not drop the update_message).
  insert into messages (uuid, organization_id, help_desk_id, message, file_key, file_name, file_content_type,
                        file_size, type, status, updated_at)
  select $3::uuid, d.organization_id, d.id, $4::text, $5::text, $6::text, $7::text, $8::bigint, 'sent',
         case when d.has_webhook then 'sending' else 'sent' end,
         case when d.has_webhook then now() else now() + interval '1 microsecond' end
  from d
  returning id, uuid, created_at, updated_at, message, file_key, file_name, type, status
), h as (
  update help_desks set last_message_id = (select id from m), updated_at = now()
  where id = (select id from d) and exists (select from m)
  returning uuid, created_at, updated_at, status
), o as (
  -- The file's bytes are counted against the organization's storage (storage.repository.ts).
  update organizations set event_seq = event_seq + (select case when d.has_webhook then 2 else 3 end from d),
                           storage_bytes = storage_bytes + coalesce($8::bigint, 0)
  where id = (select organization_id from d) and exists (select from h)
  returning event_seq
), j as (
  select d.organization_id, d.organization_name, d.has_webhook, o.event_seq as last_id,
    case when d.has_webhook then 2 else 3 end as events, s.sending, s.sent,
    '{"created_at":"' || ${iso('h.created_at')} || '","updated_at":"' || ${iso('h.updated_at')} ||
    '","uuid":"' || h.uuid || '","client":{"uuid":"' || d.client_uuid ||
    '","created_at":"' || ${iso('d.client_created_at')} || '","updated_at":"' || ${iso('d.client_updated_at')} ||
    '","name":' || ${jsonString('d.client_name')} || ',"phone":' || ${jsonString('d.client_phone')} ||
    '},"last_message":' || s.sending || ',"status":' || ${jsonString('h.status')} || '}' as help_desk
  from d, h, o, lateral (
    select ${messageJson(`'sending'::text`, 'm.created_at')} as sending, ${messageJson('m.status', 'm.updated_at')} as sent
    from m
  ) s
), e as (
  -- new_message (as created: sending), update_helpdesk, and without a webhook update_message (sent),
  -- numbered in that order with the ids taken.
  insert into outbox_events (organization_id, organization_name, seq, payload)
  select j.organization_id, j.organization_name, j.last_id - j.events + v.k,
    '{"type":"' || v.type || '","data":' ||
      ${jsonString('case v.k when 1 then j.sending when 2 then j.help_desk else j.sent end')} ||
      ',"id":' || (j.last_id - j.events + v.k) || '}'
  from j, (values (1, 'new_message'), (2, 'update_helpdesk'), (3, 'update_message')) as v (k, type)
  where v.k <= j.events
  order by v.k
  returning id, seq, payload
), w as (
  insert into webhook_deliveries (message_id, organization_id, file_base_url)
  select m.id, d.organization_id, $10::text from m, d where d.has_webhook
  returning id
)
select h.uuid, h.created_at, h.updated_at, h.status,
  d.client_uuid, d.client_created_at, d.client_updated_at, d.client_name, d.client_phone,
  m.uuid as message_uuid, m.created_at as message_created_at, m.updated_at as message_updated_at,
  m.message as message_message, m.file_key as message_file_key, m.file_name as message_file_name,
  m.type as message_type, m.status as message_status,
  m.id as message_id, o.event_seq, d.organization_id, d.organization_name, d.has_webhook,
  -- Joined by newlines, which an encoded envelope never holds (JSON escapes them): a split, not
  -- pg's character-by-character parse of a text[] of escaped JSON.
  (select string_agg(e.id::text, ',' order by e.seq) from e) as outbox_ids,
  (select string_agg(e.payload, E'\\n' order by e.seq) from e) as outbox_payloads
from d, m, h, o
`;

export interface SendMessageInput {
  uuid: string;
  helpDeskUuid: string;
  /** Only a help desk of this organization is written to (an organization's key); null: any. */
  organizationId: string | null;
  message: string;
  file: StoredFileInfo | null;
  /** The stored file's absolute URL, as answers and events show it; null without a file. */
  fileUrl: string | null;
  /** File URLs start with it (kept with a webhook delivery). */
  fileBaseUrl: string;
}

export interface SentMessage {
  messageId: string;
  organizationId: string;
  organizationName: string;
  /** Delivered through the organization's webhook: stored `sending`, a delivery queued. */
  hasWebhook: boolean;
  /** The message as stored. */
  message: MessageRecord;
  /** The help desk as it is now, with the message as its last_message. */
  helpDesk: HelpDeskRecord;
  /** The events as stored in the outbox, in order: the relay publishes them without reading them back. */
  events: OutboxEvent[];
}

type SendRow = HelpDeskRow & {
  message_id: string;
  event_seq: string;
  organization_id: string;
  organization_name: string;
  has_webhook: boolean;
  outbox_ids: string;
  outbox_payloads: string;
};

/** Stores the message and its events (see SEND_MESSAGE_SQL); undefined when there is no such help desk. */
export async function sendMessageStatement(
  db: Kysely<DB> | Transaction<DB>,
  input: SendMessageInput,
): Promise<SentMessage | undefined> {
  const { rows } = await db.executeQuery<SendRow>(
    CompiledQuery.raw(SEND_MESSAGE_SQL, [
      input.helpDeskUuid,
      input.organizationId,
      input.uuid,
      input.message,
      input.file?.key ?? null,
      input.file?.name ?? null,
      input.file?.contentType ?? null,
      input.file === null ? null : String(input.file.size),
      input.fileUrl,
      input.fileBaseUrl,
    ]),
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const helpDesk = toRecord(row);
  if (helpDesk.last_message === null) throw new Error('the message just inserted is missing');
  const lastId = Number(row.event_seq);
  const count = row.has_webhook ? 2 : 3;
  const payloads = row.outbox_payloads.split('\n');
  return {
    messageId: row.message_id,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    hasWebhook: row.has_webhook,
    message: { ...helpDesk.last_message },
    helpDesk,
    events: row.outbox_ids.split(',').map((id, i) => ({
      id,
      organizationName: row.organization_name,
      seq: lastId - count + 1 + i,
      payload: payloads[i]!,
    })),
  };
}
