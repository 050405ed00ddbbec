// The api ceiling's SQL (api-ceiling-server.ts): what the api's send-message writes, in one
// statement. The outbox rows hold the encoded envelopes, and those need the message's and the help
// desk's timestamps, which only Postgres knows before the statement ends; so the statement builds
// the contract's JSON itself (keys in CONTRACT.md's order, timestamps as pgTimestampToIso prints
// them, strings escaped by to_json) and returns the envelopes and the answer as text. The test
// beside it checks that this JSON is byte for byte what packages/shared encodes for the same rows.

/** A timestamptz as the contract prints it: six fractional digits and a ±HH:MM offset. */
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM')`;
const jsonString = (expression: string) => `to_json(${expression})::text`;

/** A Message object: `status` and `updated_at` as given, the rest from the inserted row `m`. */
function messageJson(status: string, updatedAt: string): string {
  return [
    `'{"created_at":"' || ${iso('m.created_at')}`,
    `'","updated_at":"' || ${iso(updatedAt)}`,
    `'","uuid":"' || m.uuid`,
    `'","message":' || ${jsonString('m.message')}`,
    `',"file":' || coalesce(${jsonString('$8::text')}, 'null')`,
    `',"type":"sent","status":"${status}","help_desk":"' || d.uuid || '"}'`,
  ].join(' || ');
}

/**
 * $1 help desk uuid, $2 new message uuid, $3 text, $4 file key, $5 file name, $6 file content
 * type, $7 file size, $8 the file's absolute URL (null without a file). Answers three rows, one
 * per event in id order: the organization's name, the event's envelope, and the message as sent.
 * No row: the help desk does not exist.
 *
 * As the api without a delivery webhook: the message stored `sent` (its `sending` state is the
 * row as of created_at), the help desk's last message and updated_at moved, three event ids taken
 * and the file's bytes counted on the organization (help desk row locked first, then the
 * organization, as the api does) and three outbox rows: new_message (`sending`), update_helpdesk,
 * update_message (`sent`). The rows are stored as published: this server publishes them itself
 * right after the commit, there is no relay.
 */
export const SEND_MESSAGE_SQL = `
with d as (
  select h.id, h.uuid, h.organization_id, h.created_at, h.status, o.name as organization_name,
         c.uuid as client_uuid, c.created_at as client_created_at, c.updated_at as client_updated_at,
         c.name as client_name, c.phone as client_phone
  from help_desks h
  join organizations o on o.id = h.organization_id
  join clients c on c.id = h.client_id
  where h.uuid = $1::uuid
), m as (
  insert into messages (uuid, organization_id, help_desk_id, message, file_key, file_name, file_content_type,
                        file_size, type, status, updated_at)
  select $2::uuid, d.organization_id, d.id, $3, $4, $5, $6, $7, 'sent', 'sent', now() + interval '1 microsecond'
  from d
  returning id, uuid, created_at, updated_at, message
), h as (
  update help_desks set last_message_id = (select id from m), updated_at = now()
  where id = (select id from d)
  returning updated_at
), o as (
  -- As the api: the file's bytes counted against the organization's storage.
  update organizations set event_seq = event_seq + 3, storage_bytes = storage_bytes + coalesce($7::bigint, 0)
  where id = (select organization_id from d) and exists (select 1 from h)
  returning event_seq
), j as (
  select d.organization_id, d.organization_name, o.event_seq as last_id, s.sending, s.sent,
    '{"created_at":"' || ${iso('d.created_at')} || '","updated_at":"' || ${iso('h.updated_at')} ||
    '","uuid":"' || d.uuid || '","client":{"uuid":"' || d.client_uuid ||
    '","created_at":"' || ${iso('d.client_created_at')} || '","updated_at":"' || ${iso('d.client_updated_at')} ||
    '","name":' || ${jsonString('d.client_name')} || ',"phone":' || ${jsonString('d.client_phone')} ||
    '},"last_message":' || s.sending || ',"status":"' || d.status || '"}' as help_desk
  from d, h, o, lateral (
    select ${messageJson('sending', 'm.created_at')} as sending, ${messageJson('sent', 'm.updated_at')} as sent
    from m
  ) s
), e as (
  insert into outbox_events (organization_id, organization_name, seq, payload, published_at)
  select j.organization_id, j.organization_name, j.last_id - 3 + v.k,
    '{"type":"' || v.type || '","data":' ||
      ${jsonString('case v.k when 1 then j.sending when 2 then j.help_desk else j.sent end')} ||
      ',"id":' || (j.last_id - 3 + v.k) || '}',
    now()
  from j, (values (1, 'new_message'), (2, 'update_helpdesk'), (3, 'update_message')) as v (k, type)
  returning seq, payload
)
select j.organization_name, e.payload, j.sent from e, j order by e.seq
`;

/**
 * $1 organization name, $2 page size: the first page of its help desks, most recent activity
 * first, each with its client and last message (the api's listHelpDesks, in one statement).
 */
export const LIST_HELP_DESKS_SQL = `
select h.uuid, h.created_at, h.updated_at, h.status,
       c.uuid as client_uuid, c.created_at as client_created_at, c.updated_at as client_updated_at,
       c.name as client_name, c.phone as client_phone,
       m.uuid as message_uuid, m.created_at as message_created_at, m.updated_at as message_updated_at,
       m.message as message_message, m.file_key as message_file_key, m.file_name as message_file_name,
       m.type as message_type, m.status as message_status
from help_desks h
join clients c on c.id = h.client_id
left join messages m on m.id = h.last_message_id
where h.organization_id = (select id from organizations where name = $1)
order by h.updated_at desc, h.id desc
limit $2
`;

/** $1 help desk uuid, $2 page size: its first page as the api pages it, the newest messages, oldest first. */
export const HISTORY_SQL = `
select uuid, created_at, updated_at, message, file_key, file_name, type, status
from (
  select m.id, m.uuid, m.created_at, m.updated_at, m.message, m.file_key, m.file_name, m.type, m.status
  from messages m
  where m.help_desk_id = (select id from help_desks where uuid = $1::uuid)
  order by m.id desc
  limit $2
) as page
order by id
`;
