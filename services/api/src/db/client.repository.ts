import type { Kysely, Transaction } from 'kysely';
import type { ClientRecord } from '@helpdesk/shared';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

const CLIENT_COLUMNS = ['uuid', 'created_at', 'updated_at', 'name', 'phone'] as const;

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
