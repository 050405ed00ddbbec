import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { expectNoSecretsLogged } from '../logs.js';
import { createTestDatabase, redisPrefix, testEnv } from '../test-env.js';
import { E2E_ADMIN_TOKEN, E2E_SECRET_KEY, runContractScenario } from './contract-scenario.js';

// The distributed mode as deployed: api and gateway as separate processes on Postgres and Redis.
describe('distributed: api and gateway processes on Postgres and Redis', () => {
  let api: ServiceProcess;
  let gateway: ServiceProcess;
  let filesDir: string;

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'hd-e2e-files-'));
    // SECRET_KEY: the api signs socket tickets with it, the gateway verifies them.
    const shared = { REDIS_URL: testEnv().redisUrl, REDIS_PREFIX: redisPrefix(), SECRET_KEY: E2E_SECRET_KEY };
    [api, gateway] = await Promise.all([
      startService(join(REPO_ROOT, 'services/api/dist/main.js'), {
        ...shared,
        DATABASE_URL: await createTestDatabase(),
        ADMIN_TOKEN: E2E_ADMIN_TOKEN,
        FILES_DIR: filesDir,
      }),
      startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), shared),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), gateway?.stop()]);
    await rm(filesDir, { recursive: true, force: true });
    // After the scenario, whatever ran before it, and once both processes exited (every line they
    // wrote is read): keys, tickets and the secrets were all used, and none is in the logs.
    expectNoSecretsLogged(
      [...api.output, ...gateway.output],
      [E2E_ADMIN_TOKEN, E2E_SECRET_KEY, 'hdk_', 'Bearer', 'token=', 'eyJ'],
      '/api/ws-tickets/',
    );
  });

  it('speaks the contract: REST answers, frames byte for byte, tenants apart', async () => {
    await runContractScenario(`http://127.0.0.1:${api.port}`, `ws://127.0.0.1:${gateway.port}`, E2E_ADMIN_TOKEN);
  });
});
