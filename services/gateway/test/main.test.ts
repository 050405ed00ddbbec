import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/redis-server.js';
import { redisPrefix, testEnv } from '../../../test/test-env.js';
import { CLOSE_CODES } from '../src/close-codes.js';
import { TEST_SECRET_KEY, TestClient, ticketFor } from './helpers.js';

// main.ts as a process, run from source (tsx) so the test needs no build.

const gatewayDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function runMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: gatewayDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    let port: number | undefined;
    for await (const line of lines) {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'listening') {
        port = entry.port;
        break;
      }
    }
    expect(port).toBeGreaterThan(0);
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws/chat/acme/?token=${ticketFor('acme')}`);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^helpdesk_gateway_sockets_open 1$/m);
    expect(metrics).toMatch(/^helpdesk_process_resident_memory_bytes \d+/m);
    child.kill('SIGTERM');
    expect(await client.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    expect(await exitOf(child)).toBe(0);
  });
});
