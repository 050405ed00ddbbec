import pg from 'pg';

const { DatabaseError } = pg;

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

/**
 * Makes every connection of the pool run `query(text, values)` with at least one value as a named
 * statement. Without values pg uses the simple protocol, which allows several statements in one
 * text (migrations); those stay as they are.
 */
export function prepareStatements(pool: pg.Pool, names = new StatementNames()): StatementNames {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as Query;
    // A failure before Postgres answered (a value pg could not serialise) makes pg close the
    // statement on the server while its ParseComplete, still on the way, records it as prepared:
    // the name would fail on this connection for good. Such a name runs unnamed here from then on.
    const unusable = new Set<string>();
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const [text, values, ...rest] = args;
      if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || rest.length > 0) {
        return query(...args);
      }
      const name = names.nameFor(text);
      if (name === undefined || unusable.has(name)) return query(...args);
      return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
        if (!(error instanceof DatabaseError)) unusable.add(name);
        throw error;
      });
    };
  });
  return names;
}
