import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/redis-server.js';
import { databaseUrl, testEnv } from '../../../test/test-env.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';

// migrate.ts as `pnpm migrate` runs it, from source (tsx) so the test needs no build.

const apiDir = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  code: number | null;
  stdout: string[];
  /** Each stderr line with the milliseconds since the process started. */
  stderr: Array<{ at: number; line: string }>;
  /** Milliseconds from start to exit. */
  elapsed: number;
}

async function runMigrate(env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/migrate.ts'], {
    cwd: apiDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { code: null, stdout: [], stderr: [], elapsed: 0 };
  createInterface({ input: child.stdout }).on('line', (line) => run.stdout.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => run.stderr.push({ at: Date.now() - started, line }));
  const [code] = (await once(child, 'exit')) as [number | null];
  run.code = code;
  run.elapsed = Date.now() - started;
  return run;
}

/** An empty database (not cloned from the migrated template); dropped when the run ends. */
async function createEmptyDatabase(): Promise<string> {
  const { postgresAdminUrl, runId } = testEnv();
  const name = `hd_${runId}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return databaseUrl(postgresAdminUrl, name);
}

describe('pnpm migrate (migrate.ts)', () => {
  it('waits for a database that does not answer, one line per retry, then gives up within MIGRATE_WAIT_SECONDS', async () => {
    const port = await freePort();
    const run = await runMigrate({
      DATABASE_URL: `postgres://helpdesk:not-for-logs@127.0.0.1:${port}/helpdesk`,
      MIGRATE_WAIT_SECONDS: '2',
    });
    const lines = run.stderr.map((entry) => entry.line);
    expect(run.code, lines.join('\n')).toBe(1);
    const retries = lines.filter((line) => line.includes(`127.0.0.1:${port}/helpdesk is not reachable (ECONNREFUSED)`));
    expect(retries.length, lines.join('\n')).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^migrate: gave up: 127\\.0\\.0\\.1:${port}/helpdesk did not accept connections within MIGRATE_WAIT_SECONDS=2 \\(\\d+ tries; last: ECONNREFUSED`,
      ),
    );
    expect(lines.length).toBe(retries.length + 1);
    // No stack trace, and never the password.
    expect(lines.join('\n')).not.toMatch(/^\s+at /m);
    expect(lines.join('\n')).not.toContain('not-for-logs');
    // The wait runs from the first try (the first line comes right after it) to the give-up.
    const waited = (run.stderr.at(-1)?.at ?? 0) - (run.stderr[0]?.at ?? 0);
    expect(waited).toBeGreaterThan(1000);
    expect(waited).toBeLessThan(3000);
  });

  it('fails at once, in one line, on an error that waiting does not cure', async () => {
    const missing = databaseUrl(testEnv().postgresAdminUrl, `hd_${testEnv().runId}_never_created`);
    const run = await runMigrate({ DATABASE_URL: missing, MIGRATE_WAIT_SECONDS: '30' });
    expect(run.code).toBe(1);
    expect(run.stderr.map((entry) => entry.line)).toEqual([
      expect.stringMatching(
        /^migrate: failed on [^ ]+\/hd_\w+_never_created: database "hd_\w+_never_created" does not exist$/,
      ),
    ]);
    expect(run.elapsed).toBeLessThan(15_000);
  });

  it('names the migration that failed, and its error, in one line', async () => {
    const url = await createEmptyDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // The first migration creates this table; finding it there already makes it fail.
    await client.query('create table organizations (id integer)');
    await client.end();
    const run = await runMigrate({ DATABASE_URL: url, MIGRATE_WAIT_SECONDS: '30' });
    const [first] = Object.keys(MIGRATIONS);
    expect(run.code).toBe(1);
    expect(run.stderr.map((entry) => entry.line)).toEqual([
      expect.stringContaining(`: migration failed (${first}): relation "organizations" already exists`),
    ]);
  });

  it('applies every migration to an empty database, and finds nothing to do the second time', async () => {
    const url = await createEmptyDatabase();
    const first = await runMigrate({ DATABASE_URL: url });
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: [] });
    expect(first.stdout).toEqual([`applied: ${Object.keys(MIGRATIONS).join(', ')}`]);
    const second = await runMigrate({ DATABASE_URL: url });
    expect({ code: second.code, stdout: second.stdout }).toEqual({ code: 0, stdout: ['schema is up to date'] });
  });
});
