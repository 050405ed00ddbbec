// The REST side of a run (e2e, e2e-max, reads): the api on a fresh database, the run's data made
// through its REST API, and, for the ceiling's run, the api ceiling in its place on that data.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createFixtures, type Fixtures } from './fixtures.js';
import type { RunOptions } from './plan.js';
import { createBenchDatabase, scratchDir, startNodeProcess, waitForHttpOk, type ManagedProcess } from './services.js';

export interface ApiRunContext {
  repoRoot: string;
  distDir: string;
  redisUrl: string;
  postgresAdminUrl: string;
  logLevel: string;
  /** The api's entry script (services/api/dist/main.js, or another build's: BENCH_API_ENTRY). */
  apiEntry: string;
}

export interface ApiUnderTest {
  /** The api, or for target `ceiling` the api ceiling. */
  process: ManagedProcess;
  url: string;
  fixtures: Fixtures;
  databaseUrl: string;
}

/**
 * Starts the api with `env` (REDIS_PREFIX, SECRET_KEY), makes the organizations and their help
 * desks through it, runs `prepare` (more data, probes) while it still runs, and for target
 * `ceiling` replaces it with the api ceiling. What it starts and creates is undone by `cleanup`
 * (steps run first to last).
 */
export async function startApiUnderTest(
  options: RunOptions,
  ctx: ApiRunContext,
  env: { prefix: string; secretKey: string; pageSize?: number },
  orgNames: string[],
  cleanup: Array<() => Promise<void>>,
  prepare?: (api: { url: string; databaseUrl: string; fixtures: Fixtures }) => Promise<void>,
): Promise<ApiUnderTest> {
  const adminToken = randomBytes(32).toString('base64url');
  const database = await createBenchDatabase(ctx.postgresAdminUrl);
  cleanup.push(() => database.drop());
  const scratch = scratchDir();
  cleanup.push(() => Promise.resolve(scratch.remove()));
  const api = await startNodeProcess('api', ctx.apiEntry, {
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: String(options.apiPoolSize),
    REDIS_URL: ctx.redisUrl,
    REDIS_PREFIX: env.prefix,
    AUTO_MIGRATE: 'true',
    SECRET_KEY: env.secretKey,
    ADMIN_TOKEN: adminToken,
    // Several measured processes run at once; a fixed metrics port would clash.
    METRICS_PORT: '0',
    // The bench measures the api's own speed; a per-key throttle would measure the throttle.
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: ctx.logLevel,
    DATA_DIR: scratch.path,
    UPLOAD_SPOOL_DIR: join(scratch.path, 'spool'),
  });
  cleanup.unshift(() => api.stop());
  const apiUrl = `http://127.0.0.1:${api.port}`;
  await waitForHttpOk(`${apiUrl}/readyz`, 30_000);
  const fixtures = await createFixtures(apiUrl, adminToken, orgNames, options.helpDesks);
  await prepare?.({ url: apiUrl, databaseUrl: database.url, fixtures });
  if (options.target !== 'ceiling') return { process: api, url: apiUrl, fixtures, databaseUrl: database.url };

  // The bare path: the api made the data through its REST API and leaves; the api ceiling takes
  // the requests (end to end, the uWS ceiling holds the sockets).
  await api.stop();
  const ceiling = await startNodeProcess('api-ceiling', join(ctx.distDir, 'api-ceiling-server.js'), {
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: String(options.apiPoolSize),
    REDIS_URL: ctx.redisUrl,
    REDIS_PREFIX: env.prefix,
    FILES_DIR: join(scratch.path, 'files'),
    ...(env.pageSize ? { PAGE_SIZE: String(env.pageSize) } : {}),
  });
  cleanup.unshift(() => ceiling.stop());
  return { process: ceiling, url: `http://127.0.0.1:${ceiling.port}`, fixtures, databaseUrl: database.url };
}
