import type { Kysely, Transaction } from 'kysely';
import type { ClientRecord } from '@helpdesk/shared';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

const CLIENT_COLUMNS = ['uuid', 'created_at', 'updated_at', 'name', 'phone'] as const;

/** A client's columns when it is joined as `c` beside other tables. */
export const JOINED_CLIENT_COLUMNS = [
  'c.uuid as client_uuid',
  'c.created_at as client_created_at',
  'c.updated_at as client_updated_at',
  'c.name as client_name',
  'c.phone as client_phone',
] as const;

/** The client of a row selected with JOINED_CLIENT_COLUMNS. */
export function joinedClient(row: {
  client_uuid: string;
  client_created_at: string;
  client_updated_at: string;
  client_name: string;
  client_phone: string;
}): ClientRecord {
  return {
    uuid: row.client_uuid,
    created_at: row.client_created_at,
    updated_at: row.client_updated_at,
    name: row.client_name,
    phone: row.client_phone,
  };
}

export async function createClient(
  db: Executor,
  client: { uuid: string; organizationId: string; name: string; phone: string },
): Promise<ClientRecord> {
  return db
    .insertInto('clients')
    .values({ uuid: client.uuid, organization_id: client.organizationId, name: client.name, phone: client.phone })
    .returning(CLIENT_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function listClients(db: Executor, organizationId: string): Promise<ClientRecord[]> {
  return db
    .selectFrom('clients')
    .select(CLIENT_COLUMNS)
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
}

export async function findClientId(db: Executor, organizationId: string, uuid: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('clients')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  return row?.id;
}

/** The organization's client with this phone (the first one, if several share it). */
export async function findClientByPhone(
  db: Executor,
  organizationId: string,
  phone: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('clients')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('phone', '=', phone)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** Creates the client and answers its id. */
export async function insertClient(
  db: Executor,
  client: { uuid: string; organizationId: string; name: string; phone: string },
): Promise<string> {
  const row = await db
    .insertInto('clients')
    .values({ uuid: client.uuid, organization_id: client.organizationId, name: client.name, phone: client.phone })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
