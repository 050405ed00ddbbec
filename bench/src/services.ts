// Starting and stopping what a run measures: the gateway, the ceiling server and the api, each a
// child process of ours on a free loopback port, and a fresh Postgres database for the api.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const UWS_FALLBACK_WARNING = 'Falling back to a NodeJS implementation';

export class ManagedProcess {
  private output = '';
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  tail(chars = 2000): string {
    return this.output.slice(-chars);
  }

  /** Fails when uWebSockets.js announced its JS fallback: the run would not measure native uWS. */
  assertNativeUws(): void {
    if (this.output.includes(UWS_FALLBACK_WARNING)) {
      throw new Error(
        `${this.name} is running the JavaScript fallback of uWebSockets.js ("${UWS_FALLBACK_WARNING}"): not a valid measurement`,
      );
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; our own child, by its pid. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `node <script>` with `env` on a free port and waits until it accepts connections. */
export async function startNodeProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ManagedProcess> {
  if (!existsSync(script)) throw new Error(`${name}: ${script} does not exist (run \`pnpm run build\`)`);
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const managed = new ManagedProcess(name, child, port);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!managed.running)
      throw new Error(`${name} exited with code ${managed.exitCode} before listening:\n${managed.tail()}`);
    if (await canConnect(port)) {
      managed.assertNativeUws();
      return managed;
    }
    await sleep(50);
  }
  await managed.stop();
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms:\n${managed.tail()}`);
}

export async function waitForHttpOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (${last})`);
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database hd_bench_<random>, dropped again by drop(). */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `hd_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A scratch folder for the api's files and upload spool, removed by the returned function. */
export function scratchDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'helpdesk-bench-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Refuses any service address outside 127.0.0.0/8 (and ::1): the bench sends load only to this machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return;
  throw new Error(`${url}: the bench only talks to loopback addresses (127.0.0.0/8, ::1)`);
}
