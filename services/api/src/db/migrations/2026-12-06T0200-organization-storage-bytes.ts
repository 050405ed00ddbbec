import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Issue 13, item 8: the bytes of files an organization keeps, counted as each message with a
  // file commits, so MAX_STORAGE_BYTES_PER_ORGANIZATION is checked against one row that writers
  // lock in turn rather than a sum over its messages. Existing files are counted once here. The
  // default lets replicas of the previous release insert organizations meanwhile (their uploads
  // are not counted until they are replaced).
  await db.schema
    .alterTable('organizations')
    .addColumn('storage_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update organizations o set storage_bytes = s.total
    from (select organization_id, sum(file_size) as total from messages where file_size is not null
          group by organization_id) s
    where s.organization_id = o.id
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('storage_bytes').execute();
}
