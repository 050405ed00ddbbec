import { RedisBus, runMain, stopOnSignals } from '@helpdesk/shared';
import { pino } from 'pino';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

// Distributed mode: `node services/gateway/dist/main.js`, one of M gateway replicas fed by Redis.
// Builds the logger and the bus, starts, and drains on SIGTERM/SIGINT; the behaviour lives in
// gateway.ts, which tests start directly.

async function main(): Promise<void> {
  // A ConfigError (every bad variable named) goes to stderr through runMain, and exits 1.
  const config = loadGatewayConfig(process.env, { requireRedisUrl: true });
  const { redisUrl } = config;
  // Refused by loadGatewayConfig already; this narrows the type.
  if (redisUrl === undefined) throw new Error('REDIS_URL is required');
  const logger = pino({ name: 'helpdesk-gateway', level: config.logLevel });
  const bus = new RedisBus({ url: redisUrl, connectionName: 'helpdesk-gateway' });
  const gateway = await startGateway({ config, bus, logger });
  logger.info({ port: gateway.port, host: config.host }, 'listening');

  // Drain: readiness fails, sockets get 1012, then the bus closes; exit 0, or 1 past the grace.
  stopOnSignals(logger, config.shutdownGraceSeconds, async () => {
    await gateway.close();
    await bus.close();
  });
}

runMain(main);
