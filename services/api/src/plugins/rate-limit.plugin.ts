import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { throttled } from '../http/api-error.js';

export interface RateLimitOptions {
  max: number;
  windowSeconds: number;
  redis: Redis | Cluster | undefined;
  /** Key prefix in Redis, so deployments sharing a Redis keep their own counters. */
  prefix: string;
}

/**
 * Per-key request limits: 429 `{"detail"}` with Retry-After, in DRF's wording. (Requests without
 * a valid key are limited per address by the auth plugin.) With Redis the counters are shared by every api replica. If Redis does not
 * answer, requests are let through rather than failed.
 */
export default fp<RateLimitOptions>(
  async (app, options) => {
    if (options.max === 0) return;
    await app.register(rateLimit, {
      global: true,
      // Right after the key is known, before the body is parsed or validated: a key over its
      // limit is refused whatever it sends.
      hook: 'onRequest',
      max: options.max,
      timeWindow: options.windowSeconds * 1000,
      ...(options.redis ? { redis: options.redis } : {}),
      nameSpace: `${options.prefix}ratelimit:`,
      skipOnError: true,
      keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config.public === true,
      errorResponseBuilder: (_request, context) => throttled(Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
