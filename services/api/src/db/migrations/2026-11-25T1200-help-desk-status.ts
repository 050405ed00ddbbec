import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Issue 4, item 5: a help desk is open (the conversation goes on) or closed. Inbound messages
  // (POST /api/receive-message/) go to the client's open help desk, or open a new one.
  await db.schema
    .alterTable('help_desks')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'closed')`),
    )
    .execute();
  await db.schema
    .createIndex('help_desks_client_open_idx')
    .on('help_desks')
    .columns(['client_id', 'id'])
    .where(sql.ref('status'), '=', 'open')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('help_desks_client_open_idx').execute();
  await db.schema.alterTable('help_desks').dropColumn('status').execute();
}
