import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';

/**
 * A fixed address in front of the server, so a restarted server (on a new port: the old one stays
 * in TIME_WAIT after the server closed its connections, and uWS will not listen on it meanwhile)
 * is found where the browser left it. While the server is down, connections are refused.
 */
async function startFrontDoor(target: number): Promise<{ port: number; target: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const door = {
    port: 0,
    target,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((inbound) => {
    const outbound = connect(door.target, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  door.port = (server.address() as AddressInfo).port;
  return door;
}

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');

export interface EmbeddedServer {
  origin: string;
  adminToken: string;
  dataDir: string;
  process: ServiceProcess;
  /** Stops the process (SIGTERM) and starts it again on the same data and port. */
  restart(between?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** `pnpm start` as a newcomer runs it (built dist/), on its own data folder and a free port. */
export async function startEmbedded(env: Record<string, string> = {}): Promise<EmbeddedServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hd-console-'));
  const start = (port: number) =>
    startService(ENTRY, { DATA_DIR: dataDir, PORT: String(port), ...env }, 90_000, /is up/);
  let process = await start(0);
  const front = await startFrontDoor(process.port);
  const adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
  const server: EmbeddedServer = {
    origin: `http://127.0.0.1:${front.port}`,
    adminToken,
    dataDir,
    process,
    async restart(between) {
      await process.stop();
      await between?.();
      process = await start(0);
      front.target = process.port;
      server.process = process;
    },
    async stop() {
      await process.stop();
      await front.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
