import {
  decodeKeyRevoked,
  ERROR_MESSAGES,
  keyRevocationsChannel,
  type BusPayload,
  type EventBus,
  type EventHistory,
  CLOSE_CODES,
  CLOSE_REASONS,
  waitAtMost,
} from '@helpdesk/shared';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { BackpressureGuard } from './backpressure-guard.js';
import { CHAT_SOCKET_PATTERN, chatSocketBehavior, type ChatSocket, type ChatSocketData } from './chat-socket.route.js';
import type { GatewayConfig } from './config.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { registerGatewayMetrics } from './gateway-metrics.js';
import { GatewayStats, logStatsPeriodically } from './gateway-stats.js';
import { changeTimeOf } from './event-time.js';
import { notReadyBecause, registerHealthRoutes, type NotReadyReason } from './health.route.js';
import { sendDetail } from './http-response.js';
import { OrganizationTopics } from './organization-topics.js';
import { SharedHistoryReads } from './missed-events.js';
import { RevokedKeys } from './revoked-keys.js';
import { SocketCloser } from './socket-closer.js';
import { SocketRegistry } from './socket-registry.js';
import { TicketChecker } from './socket-ticket.js';
import type { ReplayCloseReason } from './replay.js';
import { TopicFeed } from './topic-feed.js';
import { assertNativeUws, uWS } from './uws-native.js';

/** How long close() waits for the bus to answer its UNSUBSCRIBEs (one round trip when it is well). */
const UNSUBSCRIBES_WAIT_MS = 1_000;

export interface GatewayOptions {
  config: GatewayConfig;
  /** Where events come from; the gateway opens one subscriber on it and closes that on close(). */
  bus: EventBus;
  /**
   * Where reconnecting sockets are replayed from; the bus's own history unless given. The embedded
   * mode gives the api's outbox, so a resume survives a restart of the process.
   */
  history?: EventHistory;
  logger: Logger;
  /** Wall clock in ms (ticket expiry, connection-rate buckets); Date.now unless a test steers time. */
  now?: () => number;
  /**
   * Where to register the gateway's Prometheus metrics (`helpdesk_gateway_*`), removed again on
   * close(); none when absent. Pass the shared `metricsRegistry`, which `startMetricsServer`
   * serves, so one server shows the gateway beside the api and the process (embedded mode).
   */
  metricsRegistry?: Registry;
}

export interface RunningGateway {
  /** The port listened on (the ephemeral one when config.port is 0). */
  port: number;
  /**
   * Graceful stop: readiness fails at once, the port stops accepting, open sockets are closed
   * with 1012 (Service Restart), every bus subscription is dropped. Resolves when all of that is
   * done; calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** Why the gateway is not ready (what its /readyz answers with 503), or undefined when it is. */
  notReadyBecause(): NotReadyReason | undefined;
  /** Totals since start (sockets opened and closed, refusals by reason) and current gauges. */
  stats(): Record<string, unknown>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  assertNativeUws();
  const { config, bus, logger } = options;
  const now = options.now ?? Date.now;
  let draining = false;

  const app = uWS.App();
  const stats = new GatewayStats();
  const registry = new SocketRegistry<ChatSocket>(config);
  const guard = new BackpressureGuard<ChatSocket>({
    limitBytes: config.maxBackpressureBytes,
    socketsIn: (topic) => registry.socketsIn(topic),
    onSlowConsumer: (ws, bufferedBytes) => {
      // Still over the limit while its close frame waits for its buffer to empty.
      if (closer.isClosing(ws)) return;
      stats.slowConsumers += 1;
      stats.slowConsumerBytesDropped += bufferedBytes;
      logger.warn({ organization: ws.getUserData().organization, bufferedBytes }, 'slow consumer closed');
      closer.close(ws, CLOSE_CODES.slowConsumer, CLOSE_REASONS.slowConsumer);
    },
  });
  // Every socket the gateway closes on its own (all but the drain's) goes through here: its close
  // frame goes out after what it buffered, or its connection is cut after WS_CLOSE_TIMEOUT_MS.
  const closer = new SocketCloser<ChatSocket>({
    timeoutMs: config.closeTimeoutMs,
    quiet: (ws) => {
      const data = ws.getUserData();
      ws.unsubscribe(data.topic);
      if (data.replay) feed.left(data.replay);
    },
    onCut: (ws, bufferedBytes) => {
      stats.forcedCloses += 1;
      logger.warn(
        { organization: ws.getUserData().organization, bufferedBytes, closeTimeoutMs: config.closeTimeoutMs },
        'close frame not sent in time (the client does not read): connection cut',
      );
    },
  });
  // A socket being replayed to that cannot be kept gap-free is closed like a slow consumer.
  const closeReplaying = (ws: ChatSocket, reason: ReplayCloseReason): void => {
    if (reason === 'failed') {
      closer.close(ws, CLOSE_CODES.internalError, CLOSE_REASONS.internalError);
      return;
    }
    stats.slowConsumers += 1;
    logger.warn({ organization: ws.getUserData().organization, reason }, 'slow consumer closed during replay');
    closer.close(ws, CLOSE_CODES.slowConsumer, CLOSE_REASONS.slowConsumer);
  };
  const feed = new TopicFeed<ChatSocket>({
    history: new SharedHistoryReads(options.history ?? bus.history()),
    maxEvents: config.replayMaxEvents,
    timeoutMs: config.replayTimeoutMs,
    bufferBytes: config.replayBufferBytes,
    // Half the slow-consumer limit: a replay paced by drain stays clear of the guard's check.
    sendBelowBufferedBytes: Math.max(1, Math.floor(config.maxBackpressureBytes / 2)),
    // The envelope was encoded once by the api; its bytes go to the organization's uWS topic as a
    // text frame, unparsed, and uWS fans them out natively.
    publish: (topic, payload) => {
      stats.eventsForwarded += 1;
      stats.framesPublished += app.numSubscribers(topic);
      const changedAt = changeTimeOf(payload);
      if (changedAt !== undefined) stats.observeEventDelay(Math.max(0, now() - changedAt) / 1000);
      app.publish(topic, payload, false);
      guard.published(topic, typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength);
    },
    hosts: (topic) => registry.socketsIn(topic) !== undefined,
    confirmSubscribed: (topic) => topics.reconfirm(topic),
    close: closeReplaying,
    stats: stats.replays,
    gapStats: stats.gapFills,
    catchUpStats: stats.catchUps,
    onDuplicate: (topic) => {
      stats.duplicatesDropped += 1;
      stats.duplicateFramesDropped += app.numSubscribers(topic);
    },
    logger,
  });
  const revokedKeys = new RevokedKeys();
  const tickets = new TicketChecker(config.secretKey.reveal(), undefined, revokedKeys);
  const revocations = keyRevocationsChannel(config.redisPrefix);
  const revocationStore = bus.keyRevocations(revocations);
  const revoke = (keyUuid: string): void => {
    if (!revokedKeys.add(keyUuid, now())) return;
    let closed = 0;
    for (const ws of registry.allSockets()) {
      if (ws.getUserData().keyId !== keyUuid) continue;
      closer.close(ws, CLOSE_CODES.keyRevoked, CLOSE_REASONS.keyRevoked);
      closed += 1;
    }
    stats.revokedKeyCloses += closed;
    logger.info({ key: keyUuid, closedSockets: closed }, 'API key revoked: its sockets closed');
  };
  // What was revoked while this gateway was not listening (before it started, or while its bus
  // was away): the kept list.
  const catchUpOnRevocations = async (): Promise<void> => {
    try {
      for (const keyUuid of await revocationStore.list(now())) revoke(keyUuid);
    } catch (error) {
      logger.warn({ err: error }, 'could not read the revoked keys; live ones still arrive');
    }
  };
  const subscriber = bus.subscriber((channel: string, payload: BusPayload) => {
    if (channel === revocations) {
      const keyUuid = decodeKeyRevoked(payload);
      if (keyUuid !== undefined) revoke(keyUuid);
    } else feed.deliver(channel, payload);
  });
  const topics = new OrganizationTopics({ subscriber, logger });
  subscriber.onResubscribed(() => {
    stats.resubscribes += 1;
    logger.info({ subscribedChannels: topics.subscribedCount() }, 'bus reconnected and subscribed again; filling gaps');
    feed.resubscribed();
    void catchUpOnRevocations();
  });
  const rateLimiter = new ConnectionRateLimiter(
    { ratePerSecond: config.connectRatePerIp, burst: config.connectBurstPerIp },
    now,
  );

  app.ws<ChatSocketData>(
    CHAT_SOCKET_PATTERN,
    chatSocketBehavior({
      config,
      topics,
      feed,
      guard,
      closer,
      registry,
      logger,
      stats,
      rateLimiter,
      tickets,
      now,
      isDraining: () => draining,
    }),
  );
  const readiness = { isDraining: () => draining, busConnected: () => subscriber.isConnected() };
  registerHealthRoutes(app, readiness);
  app.any('/*', (res) => sendDetail(res, 404, ERROR_MESSAGES.notFound));

  let listenSocket: us_listen_socket;
  try {
    // Key revocations, for as long as the gateway runs; subscribed before taking traffic, which is
    // also a round trip through the subscriber: a gateway whose bus does not answer accepts no
    // sockets. It keeps the first organization's SUBSCRIBE out of the connection's handshake,
    // where ioredis >= 5.8.2 loses its messages (redis/ioredis#2037).
    await subscriber.subscribe(revocations);
    await catchUpOnRevocations();
    listenSocket = await listen(app, config.host, config.port);
  } catch (error) {
    await subscriber.close();
    app.close();
    throw error;
  }
  const port = uWS.us_socket_local_port(listenSocket);
  const gauges = () => ({
    ...registry.counts(),
    subscribedChannels: topics.subscribedCount(),
    replayingSockets: feed.replayingSockets(),
    connectRateBuckets: rateLimiter.size,
  });
  const stopStats = logStatsPeriodically(logger, stats, gauges);
  const unregisterMetrics = options.metricsRegistry
    ? registerGatewayMetrics(options.metricsRegistry, { stats, gauges })
    : undefined;

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    draining = true;
    uWS.us_listen_socket_close(listenSocket);
    stopStats();
    const sockets = registry.allSockets();
    // Each end() runs the close handler at once, which gives back the slot and the topic hold.
    for (const ws of sockets) ws.end(CLOSE_CODES.serviceRestart, CLOSE_REASONS.serviceRestart);
    closer.stop();
    guard.close();
    feed.close();
    // The UNSUBSCRIBEs are waited for so the connection closes clean, but not for ever: a Redis
    // that stopped answering would otherwise hold the shutdown for the whole grace.
    await waitAtMost(topics.whenIdle(), UNSUBSCRIBES_WAIT_MS);
    await subscriber.close();
    // Whatever is left (idle keep-alive HTTP connections, sockets still in their closing
    // handshake) would otherwise keep the port's connections alive.
    app.close();
    unregisterMetrics?.();
    logger.info({ closedSockets: sockets.length, ...stats.snapshot() }, 'gateway closed');
  };

  logger.debug({ port }, 'gateway started');
  return {
    port,
    close: () => (closing ??= close()),
    notReadyBecause: () => notReadyBecause(readiness),
    stats: () => ({ ...stats.snapshot(), ...gauges() }),
  };
}

function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, uWS.LIBUS_LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
      if (listenSocket) resolve(listenSocket);
      else reject(new Error(`cannot listen on ${host}:${port} (in use, or not an address of this host)`));
    });
  });
}
