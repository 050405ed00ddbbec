import type { Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Inbound messages (POST /api/receive-message/) find their client by phone, per organization.
  await db.schema
    .createIndex('clients_organization_phone_idx')
    .on('clients')
    .columns(['organization_id', 'phone', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('clients_organization_phone_idx').execute();
}
