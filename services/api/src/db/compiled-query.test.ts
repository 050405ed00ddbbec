import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compileOnce } from './compiled-query.js';
import type { DB } from './tables.js';

/** An executor that records what it is asked to run and answers no rows. */
function recorder() {
  const ran: CompiledQuery[] = [];
  const db = {
    executeQuery: (query: CompiledQuery) => {
      ran.push(query);
      return Promise.resolve({ rows: [] });
    },
  } as unknown as Kysely<DB>;
  return { db, ran };
}

describe('compileOnce', () => {
  const byName = compileOnce<{ name: string; limit: number }, unknown>((db, param) =>
    db
      .selectFrom('organizations')
      .select('id')
      .where('name', '=', param('name'))
      .where('event_seq', '>', '7')
      .limit(param('limit')),
  );

  it('compiles the query once, with a placeholder per parameter and constants kept', async () => {
    const { db, ran } = recorder();
    await byName.execute(db, { name: 'acme', limit: 5 });
    await byName.execute(db, { name: 'other', limit: 1 });
    expect(byName.sql).toBe('select "id" from "organizations" where "name" = $1 and "event_seq" > $2 limit $3');
    expect(ran.map((q) => [q.sql, q.parameters])).toEqual([
      [byName.sql, ['acme', '7', 5]],
      [byName.sql, ['other', '7', 1]],
    ]);
  });

  it('fills a parameter used twice in both places', async () => {
    const twice = compileOnce<{ id: string | null }, unknown>((db, param) =>
      db
        .selectFrom('organizations')
        .select('id')
        .where((eb) =>
          eb.or([eb(sql`${param('id')}::bigint`, 'is', null), eb('id', '=', sql<string>`${param('id')}::bigint`)]),
        ),
    );
    const { db, ran } = recorder();
    await twice.execute(db, { id: '3' });
    expect(ran[0]?.parameters).toEqual(['3', '3']);
  });

  it('refuses a query that does not bind a parameter as a value', () => {
    const inlined = compileOnce<{ name: string }, unknown>((db, param) => {
      param('name');
      return db.selectFrom('organizations').select('id');
    });
    expect(() => inlined.sql).toThrow('parameters not bound in the SQL: name');
  });
});
