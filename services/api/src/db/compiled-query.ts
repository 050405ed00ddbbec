import {
  CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Compilable,
  type Transaction,
} from 'kysely';
import type { DB } from './tables.js';

// The busiest queries are built with Kysely once, not on every request: building and compiling a
// query costs more CPU than Postgres spends running a prepared one (issue 12's profile). A query
// is written as usual, with `param('name')` wherever a request's value goes; it is compiled the
// first time it runs, and from then on each run only fills in the values.

type Executor = Kysely<DB> | Transaction<DB>;

/** Compiles only: the SQL is the same for Postgres and PGlite. */
const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const PARAMETER = Symbol('compiled-query parameter');

interface ParameterMarker {
  readonly [PARAMETER]: string;
}

function isMarker(value: unknown): value is ParameterMarker {
  return typeof value === 'object' && value !== null && PARAMETER in value;
}

export type ParameterOf<P> = <K extends keyof P & string>(name: K) => P[K];

export interface CompiledStatement<P, R> {
  /** The rows the statement answers with these values. */
  execute(db: Executor, params: P): Promise<R[]>;
  /** Its SQL (for review snapshots and tests). */
  readonly sql: string;
}

/**
 * A query built by `build` once; `param(name)` stands for a value given at each run. Every
 * parameter must reach the SQL as a bound value (Kysely inlines nothing that way), which
 * compiling checks.
 */
export function compileOnce<P extends object, R>(
  build: (db: Kysely<DB>, param: ParameterOf<P>) => Compilable<R>,
): CompiledStatement<P, R> {
  let compiled: { template: CompiledQuery<R>; slots: Array<{ name: string } | { value: unknown }> } | undefined;
  const compile = () => {
    const names = new Set<string>();
    const param = ((name: string) => {
      names.add(name);
      return { [PARAMETER]: name } satisfies ParameterMarker;
    }) as unknown as ParameterOf<P>;
    const query = build(compiler, param).compile();
    const slots = query.parameters.map((value) => (isMarker(value) ? { name: value[PARAMETER] } : { value }));
    const bound = new Set(slots.flatMap((slot) => ('name' in slot ? [slot.name] : [])));
    const missing = [...names].filter((name) => !bound.has(name));
    if (missing.length > 0) throw new Error(`compileOnce: parameters not bound in the SQL: ${missing.join(', ')}`);
    return { template: CompiledQuery.raw(query.sql, []) as CompiledQuery<R>, slots };
  };
  return {
    async execute(db, params) {
      compiled ??= compile();
      const values = params as Record<string, unknown>;
      const parameters = compiled.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.value));
      // The template's node and id are shared by every run: no plugin keys anything on them.
      const result = await db.executeQuery<R>({ ...compiled.template, parameters });
      return result.rows;
    },
    get sql() {
      compiled ??= compile();
      return compiled.template.sql;
    },
  };
}
