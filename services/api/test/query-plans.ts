import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { DB } from '../src/db/tables.js';

export interface QueryRecorder {
  /** A Kysely on the test database that records every query it runs (call inside a test). */
  readonly db: Kysely<DB>;
  /** Every query `db` ran, in order. */
  readonly queries: readonly CompiledQuery[];
  /** The last query `db` ran, run again under `EXPLAIN (format json[, analyze])`: the plan's JSON. */
  planOfLastQuery<P = unknown>(options?: { analyze?: boolean }): Promise<P>;
}

/**
 * For EXPLAIN tests and counts of round trips: a recording Kysely on the test database, opened before the describe's tests
 * and closed after them, and the plan of the last query it ran as Postgres would run it now.
 */
export function useQueryRecorder(databaseUrl: () => string): QueryRecorder {
  let pool: pg.Pool | undefined;
  let db: Kysely<DB> | undefined;
  const queries: CompiledQuery[] = [];
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
    db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => void (event.level === 'query' && queries.push(event.query)),
    });
  });
  afterAll(async () => {
    await db?.destroy();
  });
  return {
    queries,
    get db() {
      if (db === undefined) throw new Error('useQueryRecorder: the database opens in beforeAll');
      return db;
    },
    async planOfLastQuery<P>({ analyze = false } = {}): Promise<P> {
      const query = queries.at(-1);
      if (query === undefined || pool === undefined) throw new Error('useQueryRecorder: no query ran yet');
      const options = analyze ? 'analyze, format json' : 'format json';
      const plan = await pool.query<{ 'QUERY PLAN': P }>(`explain (${options}) ${query.sql}`, [...query.parameters]);
      return plan.rows[0]!['QUERY PLAN'];
    },
  };
}
