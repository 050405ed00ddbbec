import type { Kysely, Transaction } from 'kysely';
import type { OrganizationRecord } from '@helpdesk/shared';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface OrganizationRef {
  id: string;
  name: string;
}

/** Creates the organization; undefined when the name is taken. */
export async function createOrganization(
  db: Executor,
  uuid: string,
  name: string,
): Promise<OrganizationRecord | undefined> {
  return db
    .insertInto('organizations')
    .values({ uuid, name })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning(['uuid', 'name', 'created_at', 'updated_at'])
    .executeTakeFirst();
}

/** Every organization, or only `onlyId` when given. */
export async function listOrganizations(db: Executor, onlyId?: string): Promise<OrganizationRecord[]> {
  let query = db.selectFrom('organizations').select(['uuid', 'name', 'created_at', 'updated_at']);
  if (onlyId !== undefined) query = query.where('id', '=', onlyId);
  return query.orderBy('id').execute();
}

export async function findOrganizationByName(db: Executor, name: string): Promise<OrganizationRef | undefined> {
  return db.selectFrom('organizations').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
}

/**
 * Locks the organization's row until the transaction ends: writers that must not race each other
 * within one organization (two inbound messages from a new phone) take turns here.
 */
export async function lockOrganization(db: Executor, organizationId: string): Promise<void> {
  await db.selectFrom('organizations').select('id').where('id', '=', organizationId).forUpdate().execute();
}
