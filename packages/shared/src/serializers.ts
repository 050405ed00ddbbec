import { fileUrl } from './files.js';
import type {
  ClientJson,
  ClientRecord,
  HelpDeskJson,
  HelpDeskRecord,
  MessageJson,
  MessageRecord,
  OrganizationJson,
  OrganizationRecord,
} from './objects.js';
import { pgTimestampToIso } from './timestamps.js';

// Key order is part of the contract: each object literal below lists its keys in CONTRACT.md's order.

/** `fileBaseUrl` is the absolute origin (and optional path prefix) that file URLs start with. */
export function serializeMessage(record: MessageRecord, fileBaseUrl: string): MessageJson {
  return {
    created_at: pgTimestampToIso(record.created_at),
    updated_at: pgTimestampToIso(record.updated_at),
    uuid: record.uuid,
    message: record.message,
    file: record.file_key === null ? null : fileUrl(fileBaseUrl, record.file_key, record.file_name ?? 'file'),
    type: record.type,
    status: record.status,
    help_desk: record.help_desk_uuid,
  };
}

export function serializeClient(record: ClientRecord): ClientJson {
  return {
    uuid: record.uuid,
    created_at: pgTimestampToIso(record.created_at),
    updated_at: pgTimestampToIso(record.updated_at),
    name: record.name,
    phone: record.phone,
  };
}

export function serializeHelpDesk(record: HelpDeskRecord, fileBaseUrl: string): HelpDeskJson {
  return {
    created_at: pgTimestampToIso(record.created_at),
    updated_at: pgTimestampToIso(record.updated_at),
    uuid: record.uuid,
    client: serializeClient(record.client),
    last_message: record.last_message === null ? null : serializeMessage(record.last_message, fileBaseUrl),
    // Ours, after the contract's keys.
    ...(record.status === undefined ? {} : { status: record.status }),
  };
}

export function serializeOrganization(record: OrganizationRecord): OrganizationJson {
  return {
    uuid: record.uuid,
    name: record.name,
    created_at: pgTimestampToIso(record.created_at),
    updated_at: pgTimestampToIso(record.updated_at),
  };
}
