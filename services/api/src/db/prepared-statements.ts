import type pg from 'pg';

// Named (prepared) statements for the queries Kysely sends through pg. Kysely sends each query as
// unnamed, so Postgres parses and plans it again every time, and pg sends the whole text every
// time. Named, each connection prepares a statement once and then only binds and executes it:
// less Postgres CPU and smaller writes on the hot paths, whose query texts never change.

/** Distinct query texts given names; beyond it queries run unnamed, as before (no unbounded growth). */
export const MAX_NAMED_STATEMENTS = 2000;

/** Query text → statement name, shared by every connection of the process. */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit = MAX_NAMED_STATEMENTS) {}

  nameFor(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < this.limit) {
      name = `hd_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return name;
  }

  get size(): number {
    return this.names.size;
  }
}

type Query = (...args: unknown[]) => unknown;

/** Makes every connection of the pool run `query(text, values)` as a named statement. */
export function prepareStatements(pool: pg.Pool, names = new StatementNames()): StatementNames {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const [text, values, ...rest] = args;
      if (typeof text === 'string' && Array.isArray(values)) {
        const name = names.nameFor(text);
        if (name !== undefined) return query({ name, text, values }, ...rest);
      }
      return query(...args);
    };
  });
  return names;
}
