import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startService, type ServiceProcess } from '../../test/process-harness.js';
import { createTestDatabase, redisPrefix, testEnv } from '../../test/test-env.js';
import type { ResultLine } from './report.js';

const MAIN = join(REPO_ROOT, 'bench/dist/main.js');

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

// The load tool for deployments (issue 12), pointed at a distributed fleet on loopback: two api
// and two gateway processes on Postgres and Redis, as test/e2e/fleet.test.ts starts them.
describe('pnpm bench deployment: an existing deployment by its URLs', () => {
  const adminToken = randomBytes(24).toString('base64url');
  const apis: ServiceProcess[] = [];
  const gateways: ServiceProcess[] = [];
  let resultsDir: string;
  let filesDir: string;

  beforeAll(async () => {
    resultsDir = await mkdtemp(join(tmpdir(), 'hd-bench-deployment-'));
    filesDir = await mkdtemp(join(tmpdir(), 'hd-bench-deployment-files-'));
    const shared = {
      REDIS_URL: testEnv().redisUrl,
      REDIS_PREFIX: redisPrefix(),
      SECRET_KEY: randomBytes(32).toString('base64url'),
    };
    const databaseUrl = await createTestDatabase();
    const apiEnv = { ...shared, DATABASE_URL: databaseUrl, ADMIN_TOKEN: adminToken, FILES_DIR: filesDir };
    apis.push(
      ...(await Promise.all([0, 1].map(() => startService(join(REPO_ROOT, 'services/api/dist/main.js'), apiEnv)))),
    );
    // One load machine, one address: the per-address upgrade rate would otherwise be what is measured.
    const gatewayEnv = { ...shared, WS_CONNECT_RATE_PER_IP: '0' };
    gateways.push(
      ...(await Promise.all(
        [0, 1].map(() => startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), gatewayEnv)),
      )),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...apis, ...gateways].map((p) => p.stop()));
    if (resultsDir) await rm(resultsDir, { recursive: true, force: true });
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  it('refuses to run without an explicit --url', async () => {
    const { code, output } = await runBench(['deployment', '--key', adminToken]);
    expect(code).toBe(2);
    expect(output).toContain('deployment needs an explicit --url');
  });

  it('makes its organizations through REST, connects with tickets and loses or repeats no frame', async () => {
    const prefix = `lt${randomBytes(3).toString('hex')}`;
    const { code, output } = await runBench([
      'deployment',
      '--quick',
      '--url',
      apis.map((a) => `http://127.0.0.1:${a.port}`).join(','),
      '--ws-url',
      gateways.map((g) => `ws://127.0.0.1:${g.port}`).join(','),
      '--key',
      adminToken,
      '--org-prefix',
      prefix,
      '--results-dir',
      resultsDir,
      '--no-chart',
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/one source address opens at most [\d,]+ sockets to one destination/);
    expect(output).toContain('4 organizations and 20 help desks created');
    const lines = (await readFile(join(resultsDir, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ResultLine);
    expect(lines).toHaveLength(1);
    const [run] = lines;
    expect(run).toMatchObject({
      scenario: 'deployment',
      target: 'deployment',
      connect: { requested: 200, opened: 200, failed: 0 },
      http: { failed: 0 },
      events: { missing: 0, duplicates: 0, unexpected: 0, publishFailed: 0 },
    });
    // 20 POST/s for 6 s, each three frames to the 50 sockets of its organization.
    expect(run!.http!.succeeded).toBeGreaterThan(100);
    expect(run!.events!.delivered).toBe(run!.http!.succeeded * 3 * 50);
    expect(run!.latency?.['new_message']?.p99).toBeGreaterThan(0);
    const markdown = await readFile(join(resultsDir, 'latest.md'), 'utf8');
    expect(markdown).toContain('| deployment | json | 200 | 4 | 20 |');
    // The key is never written down.
    expect(markdown).not.toContain(adminToken);
    expect(await readFile(join(resultsDir, 'results.jsonl'), 'utf8')).not.toContain(adminToken);
    expect(output).not.toContain(adminToken);

    // A second run reuses what the first made.
    const again = await runBench([
      'deployment',
      '--quick',
      '--duration',
      '1',
      '--url',
      `http://127.0.0.1:${apis[1]!.port}`,
      '--ws-url',
      `ws://127.0.0.1:${gateways[1]!.port}`,
      '--key',
      adminToken,
      '--org-prefix',
      prefix,
      '--results-dir',
      resultsDir,
      '--no-chart',
    ]);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('0 organizations and 0 help desks created');
  }, 120_000);
});
