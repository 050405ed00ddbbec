import { ConfigError, RedisBus } from '@helpdesk/shared';
import { loadApiConfig } from './config.js';
import { createApi } from './create-api.js';
import { createLogger } from './logger.js';

// Distributed mode: this process serves REST only; gateways deliver the events it publishes to Redis.
async function main(): Promise<void> {
  const config = loadApiConfig();
  if (config.events.kind !== 'redis') {
    throw new ConfigError([
      'REDIS_URL is required to run the api on its own (gateways receive events through Redis); ' +
        'for everything in one process run `pnpm start`',
    ]);
  }
  const logger = createLogger(config.logLevel, 'helpdesk-api');
  const bus = new RedisBus({ url: config.events.url, connectionName: 'helpdesk-api', history: config.history });
  const api = await createApi(config, { publisher: bus.publisher(), logger });
  await api.listen({ host: config.host, port: config.port });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period over; exiting');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    timer.unref();
    api
      .close()
      .then(() => bus.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
