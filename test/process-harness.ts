import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  /** Every line the process printed, for a failing test's message. */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a built service entry (`services/<name>/dist/main.js`) as its own process and waits for
 * its JSON log line that says where it listens. Ports are always ephemeral (PORT=0).
 */
export async function startService(
  entry: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
  /** The log message that announces the public port (the embedded process logs an inner one first). */
  readyMessage: RegExp = /listening/i,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    // Ephemeral ports, and no metrics listener: several processes of a kind run at once here.
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  // 'close' comes after the exit and after the process's stdout and stderr ended: every line read.
  const closed = once(child, 'close');
  closed.catch(() => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start in ${timeoutMs} ms:\n${output.join('\n')}`)),
      timeoutMs,
    );
    const onLine = (line: string) => {
      output.push(line);
      const found = listeningPort(line, readyMessage);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
  return {
    child,
    port,
    output,
    /** Signals the process unless it exited, and resolves with its exit code once all it printed is in `output`. */
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await closed;
      return child.exitCode;
    },
  };
}

/** Reads the port from a pino line: a `port` field, or a URL in its message. */
function listeningPort(line: string, readyMessage: RegExp): number | undefined {
  let entry: { msg?: unknown; port?: unknown };
  try {
    entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
  } catch {
    return undefined;
  }
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  if (!readyMessage.test(msg)) return undefined;
  if (typeof entry.port === 'number' && entry.port > 0) return entry.port;
  const match = /:(\d{2,5})\b/.exec(msg);
  return match ? Number(match[1]) : undefined;
}
