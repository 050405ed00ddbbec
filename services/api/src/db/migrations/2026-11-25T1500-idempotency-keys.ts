import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Issue 4, item 6: `Idempotency-Key` on send-message and receive-message. A key is claimed per
  // API key before the request runs; its answer is stored in the transaction that creates the
  // message, so a retry gets exactly what the first request got, and a crash leaves no answer
  // without its message (nor a message without its answer).
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('api_key_id', 'bigint', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    // Which route and request body it was used with: another request under the same key is refused.
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('body', 'text')
    // A claim whose request never finished (the process died) may be taken over after this.
    .addColumn('locked_until', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['api_key_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expires_idx').on('idempotency_keys').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}
