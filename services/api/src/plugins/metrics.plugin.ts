import fp from 'fastify-plugin';
import { Histogram } from 'prom-client';
import { metricsRegistry } from '@helpdesk/shared';

const httpDuration = new Histogram({
  name: 'helpdesk_api_http_request_duration_seconds',
  help: 'REST request latency, by route pattern, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

/** Times every request under its route's pattern (never the raw URL: unbounded label values). */
export default fp(
  (app, _options, done) => {
    app.addHook('onResponse', (request, reply, next) => {
      httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      next();
    });
    done();
  },
  { name: 'metrics' },
);
