import { sql, type Kysely, type Transaction } from 'kysely';
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
 * Makes writers that must not race each other take turns until the transaction ends (two first
 * messages from one new phone must create one client and one help desk). A transaction-scoped
 * advisory lock on the pair, not the organization's row: every writer locks the help desk before
 * the organization (its event sequence), and a row lock taken here first would deadlock with them.
 */
export async function lockOrganizationPhone(db: Executor, organizationId: string, phone: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`client-phone:${organizationId}:${phone}`}, 0))`.execute(
    db,
  );
}
