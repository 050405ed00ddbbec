import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { detail } from '../http/api-error.js';

export interface RateLimitOptions {
  max: number;
  windowSeconds: number;
  redis: Redis | Cluster | undefined;
  /** Key prefix in Redis, so deployments sharing a Redis keep their own counters. */
  prefix: string;
}

/**
 * Per-key request limits (per address before a key is known): 429 `{"detail"}` with Retry-After,
 * in DRF's wording. With Redis the counters are shared by every api replica. If Redis does not
 * answer, requests are let through rather than failed.
 */
export default fp<RateLimitOptions>(
  async (app, options) => {
    if (options.max === 0) return;
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: options.max,
      timeWindow: options.windowSeconds * 1000,
      ...(options.redis ? { redis: options.redis } : {}),
      nameSpace: `${options.prefix}ratelimit:`,
      skipOnError: true,
      keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config.public === true,
      errorResponseBuilder: (_request, context) => {
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
        return detail(429, `Request was throttled. Expected available in ${seconds} seconds.`, {
          'retry-after': String(seconds),
        });
      },
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
