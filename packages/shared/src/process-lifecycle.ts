import { ConfigError } from './config-reader.js';

/** The few logger calls these helpers make; a pino logger fits. */
export interface LifecycleLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * SIGTERM/SIGINT run `stop` once (drain, close), then exit 0; a failure, or `stop` outlasting
 * the grace period, exits 1 so an orchestrator sees the drain did not finish.
 */
export function stopOnSignals(logger: LifecycleLogger, graceSeconds: number, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceSeconds }, 'draining');
    const deadline = setTimeout(() => {
      logger.error({ graceSeconds }, 'drain exceeded SHUTDOWN_GRACE_SECONDS; exiting');
      process.exit(1);
    }, graceSeconds * 1000);
    deadline.unref();
    stop().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** A service's entry point: a configuration error prints just its list; anything else in full. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(1);
  });
}

/**
 * Stops the process as SIGTERM would once the process that started it is gone. `pnpm start`
 * runs the server as its own child (`exec node …`), and pnpm exits on SIGTERM without passing it
 * on, which left the server running on its port (issue 13, item 10).
 */
export function stopWithParent(logger: LifecycleLogger, checkEveryMs = 500): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    logger.info({ parent }, 'the process that started this one exited; stopping');
    process.kill(process.pid, 'SIGTERM');
  }, checkEveryMs);
  timer.unref();
}
