// The contract's objects (CONTRACT.md), and the records the database layer hands to serializers.

export const MESSAGE_TYPES = ['sent', 'received'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

// sending and sent are the original's; delivered, read and failed are ours.
export const MESSAGE_STATUSES = ['sending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

// Ours: a help desk is open until someone closes it; inbound messages reopen a new one.
export const HELP_DESK_STATUSES = ['open', 'closed'] as const;
export type HelpDeskStatus = (typeof HELP_DESK_STATUSES)[number];

/** What a status callback (PATCH /api/messages/<uuid>/) may set. */
export const MESSAGE_STATUS_UPDATES = ['delivered', 'read', 'failed'] as const satisfies readonly MessageStatus[];
export type MessageStatusUpdate = (typeof MESSAGE_STATUS_UPDATES)[number];

// The JSON objects, written out rather than derived with Static<> from schemas.ts so that the
// client package's published declarations need no TypeBox; objects.test.ts fails the typecheck
// when one differs from its schema.
export interface MessageJson {
  created_at: string;
  updated_at: string;
  uuid: string;
  message: string;
  file: string | null;
  type: MessageType;
  status: MessageStatus;
  help_desk: string;
}

export interface ClientJson {
  uuid: string;
  created_at: string;
  updated_at: string;
  name: string;
  phone: string;
}

export interface HelpDeskJson {
  created_at: string;
  updated_at: string;
  uuid: string;
  client: ClientJson;
  last_message: MessageJson | null;
  /** Ours, after the contract's keys (old clients ignore it). */
  status?: HelpDeskStatus;
}

export interface OrganizationJson {
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string;
}

/** Timestamps are Postgres timestamptz text (see timestamps.ts). */
export interface MessageRecord {
  uuid: string;
  created_at: string;
  updated_at: string;
  message: string;
  file_key: string | null;
  file_name: string | null;
  type: MessageType;
  status: MessageStatus;
  help_desk_uuid: string;
}

export interface ClientRecord {
  uuid: string;
  created_at: string;
  updated_at: string;
  name: string;
  phone: string;
}

export interface HelpDeskRecord {
  uuid: string;
  created_at: string;
  updated_at: string;
  client: ClientRecord;
  last_message: MessageRecord | null;
  status?: HelpDeskStatus;
}

export interface OrganizationRecord {
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string;
}
