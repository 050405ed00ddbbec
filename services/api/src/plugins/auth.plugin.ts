import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { EventBus } from '@helpdesk/shared';
import { hashApiKey } from '../auth/api-key-secret.js';
import { KeyOwnerCache } from '../auth/key-owner-cache.js';
import { RevocationListener } from '../auth/revocation-listener.js';
import { AUTH_MESSAGES, type Principal } from '../auth/principal.js';
import { AuthFailureThrottle } from '../auth/auth-failure-throttle.js';
import { findKeyOwner } from '../db/api-key.repository.js';
import { detail, throttled } from '../http/api-error.js';
import { errorResponses } from '../routes/error-responses.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Owners of valid keys this replica has seen; a revocation drops its key here at once. */
    keyOwners: KeyOwnerCache;
  }
  interface FastifyRequest {
    /** Set by the auth hook on every route that is not public. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes anyone may call: health, the OpenAPI document and its page. */
    public?: boolean;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9_.~+/=-]{1,512})$/i;

/**
 * Health, the OpenAPI document and its page are public; unknown routes (404) answer the same with
 * or without a key; CORS preflights carry no credentials by design.
 */
function isPublic(request: FastifyRequest): boolean {
  const url = request.routeOptions.url;
  return (
    url === undefined ||
    request.routeOptions.config.public === true ||
    url.startsWith('/api/schema/docs') ||
    request.method === 'OPTIONS'
  );
}

function unauthorized(message: string) {
  return detail(401, message, { 'www-authenticate': 'Bearer realm="api"' });
}

/**
 * Every request carries `Authorization: Bearer <key>`; the key is looked up by its hash, in the
 * database or in this replica's cache of keys it has seen. Each replica hears every revocation on
 * the bus's key-revocation channel and drops the key from its cache then, so a revoked key stops
 * working at once on every replica; a replica that cannot hear the channel does not cache.
 */
export interface AuthPluginOptions {
  /** Requests with a bad or missing key allowed per client address and window; 0: no limit. */
  failuresMax: number;
  windowSeconds: number;
  keyCache: { ttlSeconds: number; maxKeys: number };
  /** Where revocations are announced: the bus and its key-revocation channel. */
  revocations: { bus: Pick<EventBus, 'subscriber'>; channel: string };
}

export default fp<AuthPluginOptions>(
  (app, options, done) => {
    const throttle = new AuthFailureThrottle(options.failuresMax, options.windowSeconds * 1000);
    const cacheOn = options.keyCache.ttlSeconds > 0 && options.keyCache.maxKeys > 0;
    const listener = cacheOn
      ? new RevocationListener(
          options.revocations.bus,
          options.revocations.channel,
          { onRevoked: (keyUuid) => keyOwners.revoke(keyUuid), onGap: () => keyOwners.clear() },
          app.log.child({ component: 'key-cache' }),
        )
      : undefined;
    const keyOwners = new KeyOwnerCache({
      maxEntries: options.keyCache.maxKeys,
      ttlMs: options.keyCache.ttlSeconds * 1000,
      listening: () => listener?.listening() ?? false,
    });
    listener?.start();
    app.decorate('keyOwners', keyOwners);
    if (listener) app.addHook('onClose', () => listener.close());
    const findOwner = (keyHash: string) => findKeyOwner(app.db, keyHash);
    app.decorateRequest('principal', null);
    // Every route behind a key can answer 401, and 429 from the per-key rate limit: documented
    // here once rather than in each route.
    app.addHook('onRoute', (route) => {
      if (route.config?.public === true || route.url.startsWith('/api/schema/docs') || route.schema?.hide === true)
        return;
      route.schema = { ...route.schema, response: { ...errorResponses(401, 429), ...(route.schema?.response ?? {}) } };
    });
    app.addHook('onRequest', async (request: FastifyRequest) => {
      if (isPublic(request)) return;
      // A request with a valid key always passes; a bad one over its address's limit gets 429.
      const refuse = (message: string) => {
        const retryAfter = throttle.retryAfterSeconds(request.ip);
        throttle.failed(request.ip);
        return retryAfter > 0 ? throttled(retryAfter) : unauthorized(message);
      };
      const header = request.headers.authorization;
      if (header === undefined || header === '') throw refuse(AUTH_MESSAGES.notProvided);
      const match = BEARER.exec(header);
      if (!match) throw refuse(AUTH_MESSAGES.invalidHeader);
      const owner = await keyOwners.lookup(hashApiKey(match[1]!), findOwner);
      if (!owner) throw refuse(AUTH_MESSAGES.invalidKey);
      request.principal =
        owner.organizationId === null || owner.organizationName === null
          ? { kind: 'admin', keyId: owner.keyId, keyUuid: owner.keyUuid }
          : {
              kind: 'organization',
              keyId: owner.keyId,
              keyUuid: owner.keyUuid,
              organizationId: owner.organizationId,
              organizationName: owner.organizationName,
            };
    });
    done();
  },
  { name: 'auth', dependencies: ['database'] },
);
