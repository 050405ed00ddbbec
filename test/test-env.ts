import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestEnv {
  postgresAdminUrl: string;
  redisUrl: string;
  runId: string;
  templateDb: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

export function testEnv(): TestEnv {
  return inject('testEnv');
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh, migrated database cloned from the run's template; dropped when the run ends. */
export async function createTestDatabase(): Promise<string> {
  const env = testEnv();
  const name = `hd_${env.runId}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: env.postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${env.templateDb}"`);
  } finally {
    await admin.end();
  }
  return databaseUrl(env.postgresAdminUrl, name);
}

/** A Redis key/channel prefix no other test or run shares. */
export function redisPrefix(): string {
  return `hdtest:${testEnv().runId}:${randomBytes(3).toString('hex')}:`;
}
