import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { organizationChannel, RedisBus, CLOSE_CODES, chatSocketPath, LAST_EVENT_ID_PARAM } from '@helpdesk/shared';
import { startRedisCluster } from '../../../test/redis-cluster.js';
import { freePort } from '../../../test/redis-server.js';
import { redisPrefix, testEnv } from '../../../test/test-env.js';
import { envelopeWithId, TEST_SECRET_KEY, TestClient, ticketFor } from './helpers.js';

// main.ts as a process, run from source (tsx) so the test needs no build.

const gatewayDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function runMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: gatewayDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for main.ts's `listening` line and returns the port it names. */
async function listeningPort(child: ChildProcess): Promise<number | undefined> {
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  for await (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === 'listening') return entry.port;
  }
  return undefined;
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('main.ts', () => {
  it('exits 1 naming REDIS_URL and SECRET_KEY when they are missing', async () => {
    const child = runMain({ PORT: '0' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(1);
    expect(stderr).toContain('REDIS_URL is required');
    expect(stderr).toContain('SECRET_KEY is required');
  });

  it('exits 1 naming METRICS_PORT when that port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const child = runMain({
        PORT: '0',
        HOST: '127.0.0.1',
        REDIS_URL: testEnv().redisUrl,
        SECRET_KEY: TEST_SECRET_KEY,
        METRICS_PORT: String(port),
        METRICS_HOST: '127.0.0.1',
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      expect(await exitOf(child)).toBe(1);
      expect(stderr).toContain(`cannot serve metrics on 127.0.0.1:${port} (METRICS_PORT`);
    } finally {
      taken.close();
    }
  });

  it('exits 1 on a SECRET_KEY shorter than 32 characters, without printing it', async () => {
    const weak = 'short-but-secret-value';
    const child = runMain({ PORT: '0', REDIS_URL: testEnv().redisUrl, SECRET_KEY: weak });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await exitOf(child)).toBe(1);
    expect(output).toContain('SECRET_KEY must be at least 32 characters long');
    expect(output).not.toContain(weak);
  });

  it('logs the port it listens on, serves metrics, and on SIGTERM closes sockets with 1012 and exits 0', async () => {
    const metricsPort = await freePort();
    const child = runMain({
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: testEnv().redisUrl,
      REDIS_PREFIX: redisPrefix(),
      SHUTDOWN_GRACE_SECONDS: '5',
      SECRET_KEY: TEST_SECRET_KEY,
    });
    const port = await listeningPort(child);
    expect(port).toBeGreaterThan(0);
    const client = await TestClient.connect(
      `ws://127.0.0.1:${port}${chatSocketPath('acme')}?token=${ticketFor('acme')}`,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^helpdesk_gateway_sockets_open 1$/m);
    expect(metrics).toMatch(/^helpdesk_process_resident_memory_bytes \d+/m);
    child.kill('SIGTERM');
    expect(await client.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    expect(await exitOf(child)).toBe(0);
  });

  it('with REDIS_CLUSTER, takes events and history from a Redis Cluster listed by its seed nodes', async () => {
    const cluster = await startRedisCluster(3);
    const prefix = redisPrefix();
    const api = new RedisBus({ url: cluster.seeds, connectionName: 'helpdesk-main-test', cluster: true });
    const child = runMain({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: cluster.seeds,
      REDIS_CLUSTER: 'true',
      REDIS_PREFIX: prefix,
      METRICS_PORT: '0',
      SECRET_KEY: TEST_SECRET_KEY,
    });
    try {
      const port = await listeningPort(child);
      // Enough organizations that their channels land on more than one shard.
      const organizations = Array.from({ length: 6 }, (_, i) => `shard-${i}`);
      const url = (organization: string, last = '') =>
        `ws://127.0.0.1:${port}${chatSocketPath(organization)}?token=${ticketFor(organization)}${last}`;
      const clients = await Promise.all(organizations.map((organization) => TestClient.connect(url(organization))));
      const payloads = organizations.map((_, i) => envelopeWithId(1, `event of shard-${i}`));
      await api.publisher().publishSequenced(
        organizations.map((organization, i) => ({
          channel: organizationChannel(prefix, organization),
          id: 1,
          payload: payloads[i]!,
        })),
      );
      for (const [i, client] of clients.entries()) {
        const [frame] = await client.waitForFrames(1);
        expect(frame?.data.toString()).toBe(payloads[i]);
      }
      // A replay reads the history the api kept on the organization's shard.
      const replayed = await TestClient.connect(url('shard-3', `&${LAST_EVENT_ID_PARAM}=0`));
      const [frame] = await replayed.waitForFrames(1);
      expect(frame?.data.toString()).toBe(payloads[3]);
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await api.close();
      await cluster.stop();
    }
  }, 60_000);
});
