import { Migrator, type Kysely } from 'kysely';
import type { DB } from './tables.js';
import { MIGRATIONS } from './migrations/index.js';

/** Where Kysely's Migrator records the applied migrations (readiness reads it too). */
export const MIGRATION_TABLE = 'schema_migrations';

export interface MigrationOutcome {
  applied: string[];
}

/** Brings the schema to the latest migration; throws (never just logs) when one fails. */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrationOutcome> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'schema_migrations_lock',
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    const name = failed ? ` (${failed.migrationName})` : '';
    throw new Error(`migration failed${name}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
