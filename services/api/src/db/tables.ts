import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { HelpDeskStatus, MessageStatus, MessageType } from '@helpdesk/shared';

// timestamptz columns are read as Postgres text (see database.ts) so microseconds survive.
type Timestamp = ColumnType<string, string | undefined, string>;
// bigserial ids come back from pg as strings; they never leave the api.
type Id = ColumnType<string, never, never>;

export interface OrganizationTable {
  id: Generated<string> & Id;
  uuid: string;
  name: string;
  /** The last event id given to the organization's events (outbox). */
  event_seq: Generated<string>;
  /** Bytes of the files its messages keep (MAX_STORAGE_BYTES_PER_ORGANIZATION). */
  storage_bytes: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ClientTable {
  id: Generated<string> & Id;
  uuid: string;
  organization_id: string;
  name: string;
  phone: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface HelpDeskTable {
  id: Generated<string> & Id;
  uuid: string;
  organization_id: string;
  client_id: string;
  last_message_id: string | null;
  status: Generated<HelpDeskStatus>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessageTable {
  id: Generated<string> & Id;
  uuid: string;
  organization_id: string;
  help_desk_id: string;
  message: string;
  file_key: string | null;
  file_name: string | null;
  file_content_type: string | null;
  file_size: string | null;
  type: MessageType;
  status: MessageStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeyTable {
  id: Generated<string> & Id;
  uuid: string;
  /** null: an administrator's key. */
  organization_id: string | null;
  name: string;
  key_hash: string;
  created_at: Timestamp;
  revoked_at: string | null;
}

export interface OutboxEventTable {
  id: Generated<string> & Id;
  organization_id: string;
  organization_name: string;
  seq: string;
  payload: string;
  created_at: Timestamp;
  published_at: string | null;
}

export interface OrganizationWebhookTable {
  organization_id: string;
  url: string;
  secret: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryTable {
  id: Generated<string> & Id;
  message_id: string;
  organization_id: string;
  file_base_url: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  created_at: Timestamp;
}

export interface IdempotencyKeyTable {
  api_key_id: string;
  key: string;
  fingerprint: string;
  status_code: number | null;
  body: string | null;
  locked_until: Timestamp;
  expires_at: Timestamp;
  created_at: Timestamp;
  /** The attempt holding the key: only it may store the answer or give the key up. */
  owner: string;
}

export interface DB {
  organizations: OrganizationTable;
  clients: ClientTable;
  help_desks: HelpDeskTable;
  messages: MessageTable;
  api_keys: ApiKeyTable;
  outbox_events: OutboxEventTable;
  organization_webhooks: OrganizationWebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  idempotency_keys: IdempotencyKeyTable;
}

export type OrganizationRow = Selectable<OrganizationTable>;
export type NewMessage = Insertable<MessageTable>;
