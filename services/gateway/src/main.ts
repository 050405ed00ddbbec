import { metricsRegistry, RedisBus, runMain, startMetricsServer, stopOnSignals } from '@helpdesk/shared';
import { pino } from 'pino';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

// Distributed mode: `node services/gateway/dist/main.js`, one of M gateway replicas fed by Redis.
// Builds the logger, the bus and the metrics server, starts, and drains on SIGTERM/SIGINT; the
// behaviour lives in gateway.ts, which tests start directly.

async function main(): Promise<void> {
  // A ConfigError (every bad variable named) goes to stderr through runMain, and exits 1.
  const config = loadGatewayConfig(process.env, { requireRedisUrl: true });
  const { redisUrl } = config;
  // Refused by loadGatewayConfig already; this narrows the type.
  if (redisUrl === undefined) throw new Error('REDIS_URL is required');
  const logger = pino({ name: 'helpdesk-gateway', level: config.logLevel });
  // Before the gateway takes sockets: a metrics port in use fails the start, not the dashboards.
  const metrics = config.metricsPort > 0 ? await serveMetrics(config.metricsHost, config.metricsPort) : undefined;
  const bus = new RedisBus({
    url: redisUrl,
    connectionName: 'helpdesk-gateway',
    cluster: config.redisCluster,
    history: config.history,
  });
  const gateway = await startGateway({ config, bus, logger, metricsRegistry });
  logger.info({ port: gateway.port, host: config.host, metricsPort: metrics?.port }, 'listening');

  // Drain: readiness fails, sockets get 1012, then the bus closes; exit 0, or 1 past the grace.
  // Metrics stay up until the end, so the drain itself can be scraped.
  stopOnSignals(logger, config.shutdownGraceSeconds, async () => {
    await gateway.close();
    await bus.close();
    await metrics?.close();
  });
}

async function serveMetrics(host: string, port: number) {
  try {
    return await startMetricsServer(host, port);
  } catch (error) {
    throw new Error(
      `cannot serve metrics on ${host}:${port} (METRICS_PORT/METRICS_HOST; 0 turns them off): ${String(error)}`,
      { cause: error },
    );
  }
}

runMain(main);
