import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Issue 11: pages of an organization's help desks filtered by status (?status=open&limit=…) are
  // an index range scan in list order, as the unfiltered ones are on
  // help_desks_organization_activity_idx. Only an index is added, so replicas of the previous
  // release run unchanged beside it. `if not exists`: on a large table an operator may build it
  // beforehand with CREATE INDEX CONCURRENTLY (same name and columns), which does not block writes.
  await db.schema
    .createIndex('help_desks_organization_status_activity_idx')
    .ifNotExists()
    .on('help_desks')
    .expression(sql`organization_id, status, updated_at desc, id desc`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('help_desks_organization_status_activity_idx').ifExists().execute();
}
