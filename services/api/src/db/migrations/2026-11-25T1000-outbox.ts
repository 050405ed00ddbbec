import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Each organization's events are numbered 1, 2, 3…: the envelope's `id`. Taking the next
  // numbers locks the organization's row until commit, so ids commit in order per organization.
  await db.schema
    .alterTable('organizations')
    .addColumn('event_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  // The transactional outbox: events commit with the change that caused them, and a relay
  // publishes what is committed and not yet published.
  await db.schema
    .createTable('outbox_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organization_id', 'bigint', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('organization_name', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    // The encoded envelope, id included: encoded once, here, and forwarded as these bytes.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addUniqueConstraint('outbox_events_organization_seq_key', ['organization_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('outbox_events_unpublished_idx')
    .on('outbox_events')
    .column('id')
    .where(sql.ref('published_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox_events').execute();
  await db.schema.alterTable('organizations').dropColumn('event_seq').execute();
}
