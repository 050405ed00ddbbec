import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { E2E_SECRET_KEY, runContractScenario } from './contract-scenario.js';

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');
// Given rather than generated on first start, so the test can sign socket tickets with it.
const ENV = { SECRET_KEY: E2E_SECRET_KEY };

// `pnpm start` as a new user runs it: one process, PGlite, in-process bus, files on disk, one port.
describe('embedded: everything in one process on one port', () => {
  let dataDir: string;
  let server: ServiceProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hd-embedded-'));
    server = await startService(ENTRY, { ...ENV, DATA_DIR: dataDir }, 60_000, /is up/);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('speaks the contract on REST and /ws/chat/ through one port', async () => {
    const origin = `127.0.0.1:${server.port}`;
    await runContractScenario(`http://${origin}`, `ws://${origin}`);
  });

  it('keeps its data across a restart', async () => {
    const before = (await (await fetch(`http://127.0.0.1:${server.port}/api/organizations/`)).json()) as unknown[];
    expect(before.length).toBeGreaterThan(0);
    expect(await server.stop()).toBe(0);
    server = await startService(ENTRY, { ...ENV, DATA_DIR: dataDir }, 60_000, /is up/);
    const after = (await (await fetch(`http://127.0.0.1:${server.port}/api/organizations/`)).json()) as unknown[];
    expect(after).toEqual(before);
  }, 90_000);
});
