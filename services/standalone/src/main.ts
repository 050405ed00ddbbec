import { resolve } from 'node:path';
import { createApi, createLogger, outboxHistoryOf } from '@helpdesk/api';
import { startGateway, type RunningGateway } from '@helpdesk/gateway';
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
import { createChatSocketPipe } from './chat-socket-pipe.js';
import { loadEmbeddedConfig, type StandaloneConfig } from './config.js';

// `pnpm start`: the whole system in one process. The api (Node's HTTP server) owns the one public
// port and answers every HTTP request there itself; the chat sockets' upgrades it passes on to the
// gateway, which listens on a loopback port of its own (chat-socket-pipe.ts).
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
      : // Its replays come from the outbox (below): the bus itself keeps no events (it would hold
        // up to HISTORY_MAX_EVENTS of each organization in memory, read by nobody).
        new InProcessBus({ maxEvents: 0, maxAgeMs: 0 });

  // The gateway starts once the api exists (replays read the api's outbox), and before the api
  // listens: no request can ask for it earlier.
  const started: { gateway?: RunningGateway } = {};
  const sockets = createChatSocketPipe({
    gatewayPort: () => started.gateway?.port,
    lingerMs: config.gateway.closeTimeoutMs,
    logger,
  });
  const api = await createApi(config.api, {
    publisher: bus.publisher(),
    revocations: bus,
    logger,
    metricsRegistry,
    upgrades: sockets,
    // The one port's /readyz is the gateway's too, as the distributed gateway's own /readyz says it.
    notReadyBecause: () => started.gateway?.notReadyBecause(),
  });
  const gateway = await startGateway({
    config: config.gateway,
    bus,
    // In one process the outbox is at hand: replays come from the database, and so survive a
    // restart, for as long as published events are kept (OUTBOX_RETENTION_SECONDS).
    history: config.api.events.kind === 'in-process' ? outboxHistoryOf(api, config.api.events.prefix) : undefined,
    logger,
    metricsRegistry,
  });
  started.gateway = gateway;
  await api.listen({
    host: config.host,
    port: config.port,
    listenTextResolver: (address) =>
      `one port at ${address} (chat sockets go on to the internal gateway at 127.0.0.1:${gateway.port})`,
  });
  const address = api.server.address();
  if (address === null || typeof address === 'string') throw new Error('the api did not bind a TCP port');
  const publicPort = address.port;
  // One /metrics for both: they share prom-client's process-wide registry.
  const metrics =
    config.api.metrics.port > 0
      ? await startMetricsServer(config.api.metrics.host, config.api.metrics.port)
      : undefined;

  const origin = `localhost:${publicPort}`;
  logger.info(
    {
      port: publicPort,
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
    await Promise.all([
      // The port stops taking connections at once; api.close() waits for the requests in flight,
      // and for every connection the port took, piped sockets included.
      api.close(),
      (async () => {
        // Sockets get 1012 through their pipes, whose close frames get as long to leave as those
        // of any socket the gateway closes (WS_CLOSE_TIMEOUT_MS).
        await gateway.close();
        await sockets.close();
      })(),
    ]);
    await bus.close();
    await metrics?.close();
  });
}

runMain(main);
