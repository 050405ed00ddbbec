import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import helmet from 'helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { SHARED_SCHEMAS, type EventBus, type EventPublisher, type KeyRevocationStore } from '@helpdesk/shared';
import type { ApiConfig } from './config.js';
import type { DB } from './db/tables.js';
import { ApiError } from './http/api-error.js';
import { installBodyParsers, parseLastValues } from './http/body-parsers.js';
import { installErrorHandling } from './http/error-handler.js';
import { collectMethodsServed } from './http/method-not-allowed.js';
import { REPLAYED_HEADER } from './http/message-intake.js';
import { nullCharacterErrors } from './http/validation-errors.js';
import authPlugin from './plugins/auth.plugin.js';
import metricsPlugin from './plugins/metrics.plugin.js';
import publicOriginPlugin from './plugins/public-origin.plugin.js';
import databasePlugin from './plugins/database.plugin.js';
import deliveryPlugin from './plugins/delivery.plugin.js';
import eventsPlugin from './plugins/events.plugin.js';
import idempotencyPruningPlugin from './plugins/idempotency-pruning.plugin.js';
import rateLimitPlugin from './plugins/rate-limit.plugin.js';
import storagePlugin from './plugins/storage.plugin.js';
import uploadSpoolPlugin from './plugins/upload-spool.plugin.js';
import apiKeysRoute from './routes/api-keys.route.js';
import clientsRoute from './routes/clients.route.js';
import consoleRoute from './routes/console.route.js';
import filesRoute from './routes/files.route.js';
import helpDesksRoute from './routes/help-desks.route.js';
import healthRoute from './routes/health.route.js';
import messagesRoute from './routes/messages.route.js';
import organizationsRoute from './routes/organizations.route.js';
import webhooksRoute from './routes/webhooks.route.js';
import receiveMessageRoute from './routes/receive-message.route.js';
import sendMessageRoute from './routes/send-message.route.js';
import wsTicketsRoute from './routes/ws-tickets.route.js';
import whoAmIRoute from './routes/whoami.route.js';
import type { FileStore } from './storage/file-store.js';

export interface AppOptions {
  config: ApiConfig;
  db: Kysely<DB>;
  files: FileStore;
  publisher: EventPublisher;
  keyRevocations: KeyRevocationStore;
  /** The bus revocations travel on, and their channel: each replica listens, to drop revoked keys it cached. */
  revocations: { bus: Pick<EventBus, 'subscriber'>; channel: string };
  /** Shares rate-limit counters across replicas; without it they are per process. */
  rateLimitRedis: Redis | Cluster | undefined;
  /** Another readiness of the process (the embedded gateway's), checked first by /readyz. */
  notReadyBecause?: (() => string | undefined) | undefined;
  /** Where the api's Prometheus metrics are registered; none without it. */
  metricsRegistry: Registry | undefined;
}

/** The api as a Fastify plugin: tests register it and call `inject`; server.ts listens. */
const app: FastifyPluginAsync<AppOptions> = async (
  fastify,
  { config, db, files, publisher, keyRevocations, revocations, rateLimitRedis, notReadyBecause, metricsRegistry },
) => {
  installErrorHandling(fastify, config.limits);
  const registerMethodNotAllowed = collectMethodsServed(fastify);
  installBodyParsers(fastify, config.limits.bodyBytes);
  for (const schema of SHARED_SCHEMAS) fastify.addSchema(schema);
  fastify.addHook('preHandler', (request, _reply, done) => {
    const errors = nullCharacterErrors(request.body);
    done(errors ? new ApiError(400, errors) : undefined);
  });

  // Security headers on every answer; the docs page needs its own inline script and styles, and
  // must load over plain http too (helmet's upgrade-insecure-requests blanks it there). helmet's
  // own middleware, built once: @fastify/helmet builds it again for every request (2% of the
  // api's CPU under load went to parsing the same CSP directives).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'upgrade-insecure-requests': null,
      },
    },
  });
  // helmet's middleware calls next() with nothing, or with what a header setter threw.
  fastify.addHook('onRequest', (request, reply, done) =>
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)),
  );
  if (config.corsOrigins.length > 0) {
    await fastify.register(cors, {
      origin: config.corsOrigins,
      // Every method a route answers (status callbacks PATCH, key revocation DELETE, webhook PUT).
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['retry-after', REPLAYED_HEADER, 'link'],
      maxAge: 600,
    });
  }

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'helpdesk-chat',
        // Markdown: in a code span, or the page would show /ws/chat//.
        description: 'REST api of helpdesk-chat. Events arrive over the WebSocket at `/ws/chat/<organization>/`.',
        version: '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key' } } },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await fastify.register(swaggerUi, { routePrefix: '/api/schema/docs' });
  fastify.get('/api/schema/', { schema: { hide: true }, config: { public: true } }, () => fastify.swagger());

  await fastify.register(formbody, { bodyLimit: config.limits.bodyBytes, parser: parseLastValues });
  await fastify.register(multipart, { limits: { fileSize: config.limits.fileBytes, files: 1 } });

  await fastify.register(databasePlugin, { db });
  await fastify.register(idempotencyPruningPlugin);
  await fastify.register(storagePlugin, { files });
  await fastify.register(uploadSpoolPlugin, { root: config.uploadSpoolDir });
  await fastify.register(publicOriginPlugin, {
    configured: config.publicBaseUrl,
    host: config.host,
    port: config.port,
  });
  await fastify.register(metricsPlugin, { registry: metricsRegistry });
  await fastify.register(eventsPlugin, {
    publisher,
    keyRevocations,
    // A revoked key is remembered as long as a ticket issued just before can live, plus a minute
    // for clocks that disagree.
    revokedKeyMemoryMs: (config.auth.ticketTtlSeconds + 60) * 1000,
    channelPrefix: config.events.prefix,
    database: config.database,
    outbox: config.outbox,
    // Half the grace period: the rest is for requests in flight and closing connections.
    closeTimeoutMs: (config.shutdownGraceSeconds * 1000) / 2,
  });
  await fastify.register(deliveryPlugin, { webhooks: config.webhooks });
  await fastify.register(authPlugin, {
    failuresMax: config.rateLimit.authFailuresMax,
    windowSeconds: config.rateLimit.windowSeconds,
    keyCache: config.auth.keyCache,
    revocations,
  });
  await fastify.register(rateLimitPlugin, { ...config.rateLimit, redis: rateLimitRedis, prefix: config.events.prefix });

  await fastify.register(healthRoute, { db, redis: rateLimitRedis, notReadyBecause });
  await fastify.register(whoAmIRoute);
  await fastify.register(organizationsRoute);
  await fastify.register(clientsRoute);
  await fastify.register(helpDesksRoute, { maxPageLimit: config.pagination.maxLimit });
  await fastify.register(sendMessageRoute, {
    uploadSpoolDir: fastify.uploadSpoolDir,
    limits: config.limits,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
  });
  await fastify.register(receiveMessageRoute, {
    uploadSpoolDir: fastify.uploadSpoolDir,
    limits: config.limits,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
  });
  await fastify.register(messagesRoute);
  await fastify.register(filesRoute);
  await fastify.register(apiKeysRoute);
  await fastify.register(webhooksRoute, { allowPrivateAddresses: config.webhooks.allowPrivateAddresses });
  await fastify.register(consoleRoute, { dir: config.consoleDir, limits: config.limits });
  await fastify.register(wsTicketsRoute, {
    secretKey: config.auth.secretKey.reveal(),
    ttlSeconds: config.auth.ticketTtlSeconds,
  });
  registerMethodNotAllowed();
};

export default fp(app, { name: 'helpdesk-api' });
