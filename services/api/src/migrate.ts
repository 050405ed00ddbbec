import { ConfigError } from '@helpdesk/shared';
import { loadToolConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';

// `pnpm migrate`: brings DATABASE_URL (or the embedded PGlite folder) to the latest schema.
// Exits non-zero on any failure, so a deploy's migration Job fails loudly.
async function main(): Promise<void> {
  const config = loadToolConfig();
  const db = await openDatabase(config.database, config.timeZone);
  try {
    const { applied } = await migrateToLatest(db);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
