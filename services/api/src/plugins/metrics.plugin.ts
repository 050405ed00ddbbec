import fp from 'fastify-plugin';
import { Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@helpdesk/shared';

const httpDuration = new Histogram({
  name: 'helpdesk_api_http_request_duration_seconds',
  help: 'REST request latency, by route pattern, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

/** Where the outbox lag is read from at scrape time: the relay of the api in this process. */
let lagSource: { lag(): Promise<number>; readonly isLeader: boolean } | undefined;

new Gauge({
  name: 'helpdesk_api_outbox_lag_seconds',
  help: 'Age of the oldest committed event not yet published (0: none waiting); the leading relay drains it',
  registers: [metricsRegistry],
  async collect() {
    this.set(lagSource ? await lagSource.lag() : 0);
  },
});

new Gauge({
  name: 'helpdesk_api_outbox_relay_leader',
  help: '1 while this replica holds the relay lock and publishes the outbox',
  registers: [metricsRegistry],
  collect() {
    this.set(lagSource?.isLeader ? 1 : 0);
  },
});

const publishDelay = new Histogram({
  name: 'helpdesk_api_event_publish_delay_seconds',
  help: 'From the commit of a change to its event reaching Redis (history and live channel)',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
  registers: [metricsRegistry],
});

/** Records how long each published event waited after its commit. */
export function observePublishDelays(ageSeconds: readonly number[], publishSeconds: number): void {
  for (const age of ageSeconds) publishDelay.observe(age + publishSeconds);
}

export function trackOutboxRelay(relay: { lag(): Promise<number>; readonly isLeader: boolean }): void {
  lagSource = relay;
}

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
