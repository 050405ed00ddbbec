import { ConfigError, RedisBus } from '@helpdesk/shared';
import { pino } from 'pino';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

// Distributed mode: `node services/gateway/dist/main.js`, one of M gateway replicas fed by Redis.
// Builds the logger and the bus, starts, and drains on SIGTERM/SIGINT; the behaviour lives in
// gateway.ts, which tests start directly.

function readConfig(): GatewayConfig & { redisUrl: string } {
  try {
    const config = loadGatewayConfig(process.env, { requireRedisUrl: true });
    const { redisUrl } = config;
    // loadGatewayConfig has refused a missing REDIS_URL already; this narrows the type.
    if (redisUrl === undefined) throw new ConfigError(['REDIS_URL is required']);
    return { ...config, redisUrl };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`helpdesk gateway: ${error.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = pino({ name: 'helpdesk-gateway', level: config.logLevel });
  const bus = new RedisBus({ url: config.redisUrl, connectionName: 'helpdesk-gateway' });
  const gateway = await startGateway({ config, bus, logger });
  logger.info({ port: gateway.port, host: config.host }, 'listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'draining');
    const deadline = setTimeout(() => {
      logger.error({ graceSeconds: config.shutdownGraceSeconds }, 'drain exceeded SHUTDOWN_GRACE_SECONDS; exiting');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    deadline.unref();
    gateway
      .close()
      .then(() => bus.close())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'drain failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `helpdesk gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
