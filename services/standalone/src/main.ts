import { resolve } from 'node:path';
import { createApi, createLogger, listeningOrigin, outboxHistoryOf } from '@helpdesk/api';
import { startGateway } from '@helpdesk/gateway';
import {
  InProcessBus,
  RedisBus,
  metricsRegistry,
  runMain,
  startMetricsServer,
  stopOnSignals,
  stopWithParent,
  type EventBus,
} from '@helpdesk/shared';
import { loadEmbeddedConfig, type StandaloneConfig } from './config.js';

// `pnpm start`: the whole system in one process. The api listens on a private loopback port; the
// gateway owns the public PORT, serves /ws/chat/… itself and proxies every other request to the api.
async function main(): Promise<void> {
  const config = await loadEmbeddedConfig();
  try {
    await start(config);
  } catch (error) {
    // The generated key is shown only once the system is up; a first start that fails before
    // (its port taken, say) says where it is kept, since later starts generate nothing.
    if (config.generatedSecrets.values.ADMIN_TOKEN !== undefined) {
      console.error(
        `The administrator key generated on this first start is ADMIN_TOKEN in ${resolve(config.generatedSecrets.path)}.`,
      );
    }
    throw error;
  }
}

async function start(config: StandaloneConfig): Promise<void> {
  const logger = createLogger(config.api.logLevel, 'helpdesk');
  const bus: EventBus =
    config.api.events.kind === 'redis'
      ? new RedisBus({
          url: config.api.events.url,
          cluster: config.api.events.cluster,
          connectionName: 'helpdesk-standalone',
          history: config.api.history,
        })
      : new InProcessBus(config.api.history);

  // File URLs start with the one public port's origin (or PUBLIC_BASE_URL), known once it listens.
  let publicPort = config.port;
  const api = await createApi(
    // The api's one hop is the gateway's proxy, which sends it the client's address.
    { ...config.api, trustProxy: 1 },
    {
      publisher: bus.publisher(),
      revocations: bus,
      logger,
      publicOrigin: () => listeningOrigin(config.host, publicPort),
      metricsRegistry,
    },
  );
  // Fastify would log "Server listening at" this private port, which is not where anyone connects.
  await api.listen({
    host: '127.0.0.1',
    port: 0,
    listenTextResolver: (address) => `internal api at ${address} (reached through the public port below)`,
  });
  const apiAddress = api.server.address();
  if (apiAddress === null || typeof apiAddress === 'string') throw new Error('api did not bind a TCP port');

  const gateway = await startGateway({
    config: { ...config.gateway, port: config.port, host: config.host },
    bus,
    // In one process the outbox is at hand: replays come from the database, and so survive a
    // restart, for as long as published events are kept (OUTBOX_RETENTION_SECONDS).
    history: config.api.events.kind === 'in-process' ? outboxHistoryOf(api, config.api.events.prefix) : undefined,
    logger,
    proxyHttpTo: { host: '127.0.0.1', port: apiAddress.port },
    metricsRegistry,
  });
  publicPort = gateway.port;
  // One /metrics for both: they share prom-client's process-wide registry.
  const metrics =
    config.api.metrics.port > 0
      ? await startMetricsServer(config.api.metrics.host, config.api.metrics.port)
      : undefined;

  const origin = `localhost:${gateway.port}`;
  logger.info(
    {
      port: gateway.port,
      rest: `http://${origin}/api/`,
      docs: `http://${origin}/api/schema/docs`,
      websocket: `ws://${origin}/ws/chat/<organization>/`,
      database: config.api.database.kind === 'pglite' ? resolve(config.api.database.dataDir) : 'postgres',
      events: config.api.events.kind,
      files: config.api.storage.kind === 'disk' ? resolve(config.api.storage.dir) : 's3',
    },
    `helpdesk-chat is up on http://${origin}`,
  );
  const adminToken = config.generatedSecrets.values.ADMIN_TOKEN;
  if (adminToken !== undefined) {
    // Printed once, on the first start; afterwards it is only in the data folder's .env.
    console.log(
      [
        '',
        `First start: secrets generated and saved to ${resolve(config.generatedSecrets.path)}.`,
        `Administrator key (shown once): ${adminToken}`,
        `Use it as: curl -H 'Authorization: Bearer ${adminToken}' http://${origin}/api/organizations/`,
        '',
      ].join('\n'),
    );
  }

  if (config.stopWithParent) stopWithParent(logger);
  stopOnSignals(logger, config.api.shutdownGraceSeconds, async () => {
    await gateway.close();
    await api.close();
    await bus.close();
    await metrics?.close();
  });
}

runMain(main);
