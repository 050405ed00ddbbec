import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, withTimeout } from '@helpdesk/shared';
import { sql, type Kysely } from 'kysely';
import { loadToolConfig, type ToolConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';
import type { DB } from './db/tables.js';

// `pnpm migrate`: brings DATABASE_URL (or the embedded PGlite folder) to the latest schema.
// A migration Job or compose service may start before Postgres accepts connections, so failures to
// reach it are retried for MIGRATE_WAIT_SECONDS. Anything else, or still no database after that,
// prints one line saying why and exits 1, so a deploy's migration Job fails loudly.

/** Node's codes for a server that is not there (yet), or a connection that broke. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET']);
/** SQLSTATE class 08 (connection exception), and 57P03 (cannot_connect_now: starting up, in recovery). */
const CONNECTION_SQLSTATE = /^08[0-9A-Z]{3}$|^57P03$/;
/** What pg says, without a code, when the server closes the connection (a restart, a failover). */
const TERMINATED = 'Connection terminated unexpectedly';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5000;
/** The least one try may take, even when less of the wait is left (MIGRATE_WAIT_SECONDS=0: one try). */
const MIN_TRY_MS = 5000;

/** Ends the process with one line on stderr. */
class Failure extends Error {}

/** The code of a failure to reach the database, wherever it is among the error's causes. */
function connectionFailure(error: unknown): string | undefined {
  const pending: unknown[] = [error];
  const seen = new Set<unknown>();
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || CONNECTION_SQLSTATE.test(code))) return code;
    if (current instanceof Error && current.message === TERMINATED) return 'connection terminated';
    pending.push((current as { cause?: unknown }).cause);
    if (current instanceof AggregateError) pending.push(...(current.errors as unknown[]));
  }
  return undefined;
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim() || (error instanceof Error ? error.name : 'unknown error');
}

/** Where the database is, without credentials. */
function whereIs(database: ToolConfig['database']): string {
  if (database.kind === 'pglite') return `PGlite in ${database.dataDir}`;
  const url = new URL(database.url);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

/** Rejects with ETIMEDOUT once `ms` pass; a connect to a host that drops packets can take minutes. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return withTimeout(work, ms, `no answer within ${Math.ceil(ms / 1000)} s`);
}

async function migrateOnceReachable(db: Kysely<DB>, config: ToolConfig): Promise<string[]> {
  const where = whereIs(config.database);
  const waitMs = config.migrateWaitSeconds * 1000;
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await within(sql`select 1`.execute(db), Math.max(deadline - Date.now(), MIN_TRY_MS));
      return (await migrateToLatest(db)).applied;
    } catch (error) {
      const reason = connectionFailure(error);
      if (reason === undefined) throw new Failure(`migrate: failed on ${where}: ${oneLine(error)}`, { cause: error });
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Failure(
          `migrate: gave up: ${where} did not accept connections within MIGRATE_WAIT_SECONDS=` +
            `${config.migrateWaitSeconds} (${attempt} tries; last: ${reason}, ${oneLine(error)})`,
          { cause: error },
        );
      }
      const delay = Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), MAX_RETRY_MS, left);
      console.error(
        `migrate: ${where} is not reachable (${reason}); try ${attempt + 1} in ${(delay / 1000).toFixed(1)} s, ` +
          `${Math.ceil(left / 1000)} s left of MIGRATE_WAIT_SECONDS=${config.migrateWaitSeconds}`,
      );
      await sleep(delay);
    }
  }
}

async function main(): Promise<void> {
  const config = loadToolConfig();
  const db = await openDatabase(config.database, config.timeZone);
  let applied: string[];
  try {
    applied = await migrateOnceReachable(db, config);
  } catch (error) {
    // A connect still pending (a host that drops packets) would hold destroy() for minutes: the
    // exit that follows closes whatever is open. Any other failure leaves the pool settled.
    if (connectionFailure(error) === undefined) await db.destroy().catch(() => undefined);
    throw error;
  }
  await db.destroy();
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError || error instanceof Failure ? error.message : `migrate: failed: ${oneLine(error)}`,
  );
  process.exit(1);
});
