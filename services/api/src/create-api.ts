import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { keyRevocationsChannel, type EventBus, type EventPublisher } from '@helpdesk/shared';
import { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import app from './app.js';
import { hashApiKey } from './auth/api-key-secret.js';
import { ensureAdminKey } from './db/api-key.repository.js';
import type { ApiConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';
import { addApiFormats, AJV_OPTIONS } from './http/ajv-options.js';
import { parseLastValues } from './http/body-parsers.js';
import { answerRoutingError } from './http/error-handler.js';
import { answerClientError, refuseConnectRequests, requireHostOnHttp11 } from './http/protocol-errors.js';
import { handOverUpgrades, upgradeAwareRequests, type UpgradeRoute } from './http/socket-upgrades.js';
import { trustedHops } from './http/trusted-proxies.js';
import { createFileStore } from './storage/create-file-store.js';

export interface ApiDependencies {
  /** Where events go: Redis in distributed mode, the in-process bus in embedded mode. Closed with the app. */
  publisher: EventPublisher;
  /** The same bus: where revoked keys are kept and announced to the gateways. */
  revocations: Pick<EventBus, 'keyRevocations' | 'subscriber'>;
  logger: FastifyBaseLogger;
  /**
   * Upgrade requests handed over instead of served (the embedded mode's chat sockets, passed on to
   * the gateway behind the one port); none when absent.
   */
  upgrades?: UpgradeRoute;
  /**
   * Another readiness of the process the api runs in (the embedded gateway's): why it is not ready,
   * or undefined when it is. /readyz answers that reason as 503 `{"status": <reason>}` before its
   * own checks.
   */
  notReadyBecause?: () => string | undefined;
  /** Where the api's Prometheus metrics go (the shared `metricsRegistry`); none when absent. */
  metricsRegistry?: Registry;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds a ready (not listening) api: database opened and migrated if configured, store ready. */
export async function createApi(config: ApiConfig, deps: ApiDependencies): Promise<FastifyInstance> {
  const fastify = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: config.limits.bodyBytes,
    // Node's parser refuses a longer head (431); without Host on HTTP/1.1 we answer, not Node.
    http: {
      maxHeaderSize: config.limits.headerBytes,
      requireHostHeader: false,
      ...(deps.upgrades && { IncomingMessage: upgradeAwareRequests(deps.upgrades) }),
    },
    clientErrorHandler: answerClientError(config.limits),
    trustProxy: trustedHops(config.trustProxy),
    routerOptions: {
      ignoreTrailingSlash: true,
      // A file URL's last segment is the client's file name, up to 255 UTF-8 bytes (multipart-input.ts).
      maxParamLength: 512,
      querystringParser: parseLastValues,
    },
    // A proxy's or client's request id is kept (when sane) so one id follows a request across services.
    // Fastify takes requestIdHeader's value as it comes, without genReqId: off, so that a request
    // id that is not sane (any string would land in every log line) is replaced (issue 13, item 5).
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { ...AJV_OPTIONS, removeAdditional: true }, onCreate: addApiFormats },
    // Errors found while routing (a path that is not valid percent-encoding, an over-long segment)
    // would otherwise leave in Fastify's own shape: no route matches them, as Django would say.
    frameworkErrors: answerRoutingError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  refuseConnectRequests(fastify.server);
  if (deps.upgrades) handOverUpgrades(fastify.server, deps.upgrades);
  requireHostOnHttp11(fastify);

  // Closing (SIGTERM): answers to requests still in flight close their connection, so an idle
  // keep-alive connection left behind does not hold the server open until its timeout.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  const db = await openDatabase(config.database, config.timeZone);
  try {
    if (config.autoMigrate) {
      const { applied } = await migrateToLatest(db);
      if (applied.length > 0) deps.logger.info({ applied }, 'database migrated');
    }
    if (config.auth.adminToken !== undefined) {
      const state = await ensureAdminKey(db, {
        uuid: randomUUID(),
        name: 'ADMIN_TOKEN',
        keyHash: hashApiKey(config.auth.adminToken.reveal()),
      });
      if (state === 'revoked')
        deps.logger.error(
          'ADMIN_TOKEN is a revoked key (or not an administrator key) and stays refused: set a new value to bootstrap an administrator',
        );
    }
    // Counters only: fail fast (and let requests through) rather than queue while Redis is away.
    const counterOptions = {
      connectionName: 'helpdesk-api:ratelimit',
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      disableClientInfo: true,
    };
    const rateLimitRedis =
      config.events.kind !== 'redis'
        ? undefined
        : config.events.cluster
          ? new Cluster(
              config.events.url.split(',').map((seed) => seed.trim()),
              {
                redisOptions: counterOptions,
                enableOfflineQueue: false,
              },
            )
          : new Redis(config.events.url, counterOptions);
    if (rateLimitRedis)
      fastify.addHook('onClose', () => void rateLimitRedis.quit().catch(() => rateLimitRedis.disconnect()));
    await fastify.register(app, {
      config,
      db,
      files: createFileStore(config.storage),
      publisher: deps.publisher,
      keyRevocations: deps.revocations.keyRevocations(keyRevocationsChannel(config.events.prefix)),
      revocations: { bus: deps.revocations, channel: keyRevocationsChannel(config.events.prefix) },
      rateLimitRedis,
      notReadyBecause: deps.notReadyBecause,
      metricsRegistry: deps.metricsRegistry,
    });
    await fastify.ready();
  } catch (error) {
    await fastify.close().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    throw error;
  }
  return fastify;
}
