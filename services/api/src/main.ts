import { ConfigError, metricsRegistry, RedisBus, runMain, startMetricsServer, stopOnSignals } from '@helpdesk/shared';
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
  const bus = new RedisBus({
    url: config.events.url,
    cluster: config.events.cluster,
    connectionName: 'helpdesk-api',
    history: config.history,
  });
  const api = await createApi(config, { publisher: bus.publisher(), revocations: bus, logger, metricsRegistry });
  await api.listen({ host: config.host, port: config.port });
  const metrics =
    config.metrics.port > 0 ? await startMetricsServer(config.metrics.host, config.metrics.port) : undefined;

  stopOnSignals(logger, config.shutdownGraceSeconds, async () => {
    // close() stops accepting, finishes requests in flight, flushes the outbox relay, closes pools.
    await api.close();
    await bus.close();
    await metrics?.close();
  });
}

runMain(main);
