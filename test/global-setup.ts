import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { forgetRun } from '../bench/src/forget-run.js';
import { migrateToLatest, openDatabase } from '../services/api/src/index.js';
import { resolveTestServices } from './test-services.js';
import { databaseUrl, type TestEnv } from './test-env.js';

// Once per run: find Postgres and Redis, migrate a template database that every test file clones
// (CREATE DATABASE … TEMPLATE), and hand out a run id that prefixes every database and Redis key.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await resolveTestServices();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const templateDb = `hd_${runId}_template`;
  console.log(`[test services] ${services.source}; run ${runId}`);

  const admin = new pg.Client({ connectionString: services.postgresAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${templateDb}"`);
  const db = await openDatabase(
    {
      kind: 'postgres',
      url: databaseUrl(services.postgresAdminUrl, templateDb),
      poolSize: 2,
      preparedStatements: true,
    },
    'UTC',
  );
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }

  const env: TestEnv = { postgresAdminUrl: services.postgresAdminUrl, redisUrl: services.redisUrl, runId, templateDb };
  project.provide('testEnv', env);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `hd\\_${runId}\\_%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
    // The run's Redis keys too (redisPrefix): organizations' last-id keys never expire on purpose.
    const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await forgetRun(redis, `hdtest:${runId}:`);
    } catch (error) {
      console.warn(`[test services] could not delete run ${runId}'s Redis keys: ${String(error)}`);
    } finally {
      redis.disconnect();
    }
    await services.stop();
  };
}
