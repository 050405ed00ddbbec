import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

// organizations.storage_bytes: the bytes of the files an organization's messages keep, raised in
// the transaction that stores each message with a file (send-message.statement.ts, and
// addStorageBytes for received ones). MAX_STORAGE_BYTES_PER_ORGANIZATION is checked against it
// under the organization's row lock, so concurrent uploads are counted one after another and the
// quota is never exceeded (issue 13, item 8).

export interface StorageUse {
  organizationId: string;
  bytes: number;
}

/** What the organization of this help desk keeps now; undefined when there is no such help desk in `scope`. */
export async function storageOfHelpDesk(
  db: Executor,
  helpDeskUuid: string,
  scope: string | null,
): Promise<StorageUse | undefined> {
  const row = await db
    .selectFrom('help_desks as h')
    .innerJoin('organizations as o', 'o.id', 'h.organization_id')
    .select(['o.id', 'o.storage_bytes'])
    .where('h.uuid', '=', helpDeskUuid)
    .$if(scope !== null, (q) => q.where('h.organization_id', '=', scope as string))
    .executeTakeFirst();
  return row && { organizationId: row.id, bytes: Number(row.storage_bytes) };
}

/** What the organization keeps now (0 when there is no such organization). */
export async function storageOfOrganization(db: Executor, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('organizations')
    .select('storage_bytes')
    .where('id', '=', organizationId)
    .executeTakeFirst();
  return Number(row?.storage_bytes ?? 0);
}

/**
 * In a transaction: locks the help desk's row, then its organization's (the order every writer
 * takes them in, or a writer holding the help desk deadlocks with this), and answers what the
 * organization keeps as of now. Until the transaction ends, no other upload of the organization
 * can count its bytes; undefined when there is no such help desk in `scope`.
 */
export async function lockStorageOfHelpDesk(
  trx: Transaction<DB>,
  helpDeskUuid: string,
  scope: string | null,
): Promise<StorageUse | undefined> {
  const helpDesk = await trx
    .selectFrom('help_desks')
    .select('organization_id')
    .where('uuid', '=', helpDeskUuid)
    .$if(scope !== null, (q) => q.where('organization_id', '=', scope as string))
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (helpDesk === undefined) return undefined;
  const organization = await trx
    .selectFrom('organizations')
    .select('storage_bytes')
    .where('id', '=', helpDesk.organization_id)
    .forNoKeyUpdate()
    .executeTakeFirstOrThrow();
  return { organizationId: helpDesk.organization_id, bytes: Number(organization.storage_bytes) };
}

/**
 * Counts `bytes` more against the organization, in one statement that also checks the quota
 * (`quotaBytes` 0: none): false, and nothing counted, when they would take it past the quota.
 * The update waits for the row lock of a concurrent writer and then checks the row it left.
 */
export async function addStorageBytes(
  trx: Transaction<DB>,
  organizationId: string,
  bytes: number,
  quotaBytes: number,
): Promise<boolean> {
  const counted = await trx
    .updateTable('organizations')
    .set({ storage_bytes: sql<string>`storage_bytes + ${bytes}` })
    .where('id', '=', organizationId)
    .$if(quotaBytes > 0, (q) => q.where(sql<boolean>`storage_bytes + ${bytes} <= ${quotaBytes}`))
    .returning('id')
    .executeTakeFirst();
  return counted !== undefined;
}
