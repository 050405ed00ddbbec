import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError } from '@helpdesk/shared';
import { generateApiKey, hashApiKey } from './auth/api-key-secret.js';
import { loadToolConfig } from './config.js';
import { insertApiKey } from './db/api-key.repository.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';

// `pnpm run create-admin [--name <name>]`, like Django's createsuperuser: creates an administrator
// and prints its API key once. Only the key's hash is stored.
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string', default: 'administrator' } } });
  const config = loadToolConfig();
  const db = await openDatabase(config.database, config.timeZone);
  try {
    if (config.autoMigrate) await migrateToLatest(db);
    const key = generateApiKey();
    const record = await insertApiKey(db, {
      uuid: randomUUID(),
      organizationId: null,
      name: values.name,
      keyHash: hashApiKey(key),
    });
    console.log(`Administrator "${record.name}" created (${record.uuid}).`);
    console.log(`API key, shown this once: ${key}`);
    console.log(`Use it as: Authorization: Bearer ${key}`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
