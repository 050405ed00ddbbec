import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/test-env.js';
import { openDatabase } from './database.js';
import { StatementNames } from './prepared-statements.js';

describe('StatementNames', () => {
  it('names each distinct text once, and stops naming at its limit', () => {
    const names = new StatementNames(2);
    const a = names.nameFor('select 1');
    expect(a).toBeDefined();
    expect(names.nameFor('select 1')).toBe(a);
    const b = names.nameFor('select 2');
    expect(b).not.toBe(a);
    expect(names.nameFor('select 3')).toBeUndefined();
    expect(names.nameFor('select 2')).toBe(b);
  });
});

describe('queries through the pool on real Postgres', () => {
  it('run as statements prepared once per connection, with the same answers', async () => {
    const db = await openDatabase(
      { kind: 'postgres', url: await createTestDatabase(), poolSize: 1, preparedStatements: true },
      'UTC',
    );
    try {
      const query = (n: number) => sql<{ doubled: number }>`select ${n}::int * 2 as doubled`.execute(db);
      expect((await query(2)).rows).toEqual([{ doubled: 4 }]);
      expect((await query(21)).rows).toEqual([{ doubled: 42 }]);
      const prepared = await sql<{
        statement: string;
      }>`select statement from pg_prepared_statements where statement like ${'%as doubled%'} and statement not like ${'%pg_prepared_statements%'}`.execute(
        db,
      );
      expect(prepared.rows.map((r) => r.statement)).toEqual(['select $1::int * 2 as doubled']);
      // A statement that fails to parse is not remembered as prepared: the next good one works.
      await expect(sql`select * from no_such_table where id = ${1}`.execute(db)).rejects.toThrow(/no_such_table/);
      expect((await query(5)).rows).toEqual([{ doubled: 10 }]);
      // A value pg cannot serialise fails before Postgres answers; the statement is not lost.
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const text = (v: unknown) => sql<{ v: string }>`select ${v}::text as v`.execute(db);
      await expect(text(circular)).rejects.toThrow(/circular/i);
      expect((await text('fine')).rows).toEqual([{ v: 'fine' }]);
      // Without parameters a query keeps the simple protocol: several statements in one text.
      await sql`select 1; select 2`.execute(db);
    } finally {
      await db.destroy();
    }
  });
});
