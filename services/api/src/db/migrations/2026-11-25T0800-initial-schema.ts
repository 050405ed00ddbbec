import { sql, type Kysely } from 'kysely';

// Frozen in time: written against an untyped Kysely (not the app's DB type), imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'uuid', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('clients')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'uuid', (c) => c.notNull().unique())
    .addColumn('organization_id', 'bigint', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('clients_organization_idx').on('clients').columns(['organization_id', 'id']).execute();

  await db.schema
    .createTable('help_desks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'uuid', (c) => c.notNull().unique())
    .addColumn('organization_id', 'bigint', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('client_id', 'bigint', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('last_message_id', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The organization's list, most recent activity first.
  await db.schema
    .createIndex('help_desks_organization_activity_idx')
    .on('help_desks')
    .expression(sql`organization_id, updated_at desc, id desc`)
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'uuid', (c) => c.notNull().unique())
    .addColumn('organization_id', 'bigint', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('help_desk_id', 'bigint', (c) => c.notNull().references('help_desks.id').onDelete('cascade'))
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('file_key', 'text')
    .addColumn('file_name', 'text')
    .addColumn('file_content_type', 'text')
    .addColumn('file_size', 'bigint')
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('sent', 'received')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('sending', 'sent', 'delivered', 'read', 'failed')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A help desk's history, oldest first.
  await db.schema.createIndex('messages_help_desk_idx').on('messages').columns(['help_desk_id', 'id']).execute();
  await db.schema
    .createIndex('messages_file_key_idx')
    .on('messages')
    .column('file_key')
    .where('file_key', 'is not', null)
    .execute();

  await db.schema
    .alterTable('help_desks')
    .addForeignKeyConstraint('help_desks_last_message_fk', ['last_message_id'], 'messages', ['id'])
    .onDelete('set null')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('help_desks').dropConstraint('help_desks_last_message_fk').execute();
  await db.schema.dropTable('messages').execute();
  await db.schema.dropTable('help_desks').execute();
  await db.schema.dropTable('clients').execute();
  await db.schema.dropTable('organizations').execute();
}
