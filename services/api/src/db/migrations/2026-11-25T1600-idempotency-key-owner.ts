import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Which attempt holds an Idempotency-Key. A retry may take over a claim whose request outlived
  // its lock period; the first request, still running, must then not store its answer (nor commit
  // its message) over the retry's. Each claim writes a new random owner, and only the attempt that
  // wrote it may complete or release the key. Existing rows get an owner no attempt knows. The
  // default stays: replicas of the previous release, still running during a rolling update,
  // claim keys without naming an owner.
  await db.schema
    .alterTable('idempotency_keys')
    .addColumn('owner', 'uuid', (c) => c.notNull().defaultTo(sql`gen_random_uuid()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('owner').execute();
}
