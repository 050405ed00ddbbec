import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { ApiConfig } from '../config.js';
import { prepareStatements } from './prepared-statements.js';
import type { DB } from './tables.js';

const TIMESTAMPTZ_OID = 1184;
const keepText = (value: string): string => value;

/**
 * Opens the database: Postgres through pg, or PGlite (Postgres in WASM) in a data folder for the
 * embedded mode. Both return timestamptz as Postgres text in the configured time zone, so
 * serializers print the microseconds and offset exactly as Postgres keeps them.
 */
export async function openDatabase(database: ApiConfig['database'], timeZone: string): Promise<Kysely<DB>> {
  if (database.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: database.url,
      max: database.poolSize,
      // Session settings sent at connect time: no extra round-trip per connection.
      options: `-c TimeZone=${timeZone} -c DateStyle=ISO`,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === TIMESTAMPTZ_OID
            ? keepText
            : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
      },
    });
    if (database.preparedStatements) prepareStatements(pool);
    return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  }

  await mkdir(database.dataDir, { recursive: true });
  const pglite = await PGlite.create(database.dataDir, { parsers: { [TIMESTAMPTZ_OID]: keepText } });
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  // PGlite is one session, so these hold for every query.
  await sql`select set_config('TimeZone', ${timeZone}, false), set_config('DateStyle', 'ISO', false)`.execute(db);
  return db;
}
