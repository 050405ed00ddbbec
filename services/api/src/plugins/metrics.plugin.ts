import fp from 'fastify-plugin';
import { Gauge, Histogram, type Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus metrics; records nothing when the app was given no registry. */
    metrics: ApiMetrics;
  }
}

export interface ApiMetrics {
  /** Records how long each published event waited after its commit. */
  observePublishDelays(ageSeconds: readonly number[], publishSeconds: number): void;
  /** The relay whose outbox lag and leadership a scrape reads. */
  trackOutboxRelay(relay: { lag(): Promise<number>; readonly isLeader: boolean }): void;
}

/**
 * Registers the api's metrics on `registry` while the app runs and removes them when it closes,
 * so another app may register the same names after it. One api per registry at a time: the names
 * are fixed. Without a registry (tests that build several apps) nothing is recorded.
 */
export default fp<{ registry: Registry | undefined }>(
  (app, { registry }, done) => {
    if (!registry) {
      app.decorate('metrics', { observePublishDelays: () => undefined, trackOutboxRelay: () => undefined });
      done();
      return;
    }
    const registers = [registry];
    let relay: { lag(): Promise<number>; readonly isLeader: boolean } | undefined;

    const httpDuration = new Histogram({
      name: 'helpdesk_api_http_request_duration_seconds',
      help: 'REST request latency, by route pattern, method and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    new Gauge({
      name: 'helpdesk_api_outbox_lag_seconds',
      help: 'Age of the oldest committed event not yet published (0: none waiting); the leading relay drains it',
      registers,
      async collect() {
        this.set(relay ? await relay.lag() : 0);
      },
    });
    new Gauge({
      name: 'helpdesk_api_outbox_relay_leader',
      help: '1 while this replica holds the relay lock and publishes the outbox',
      registers,
      collect() {
        this.set(relay?.isLeader ? 1 : 0);
      },
    });
    const publishDelay = new Histogram({
      name: 'helpdesk_api_event_publish_delay_seconds',
      help: 'From the commit of a change to its event reaching Redis (history and live channel)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
      registers,
    });

    app.decorate('metrics', {
      observePublishDelays(ageSeconds, publishSeconds) {
        for (const age of ageSeconds) publishDelay.observe(age + publishSeconds);
      },
      trackOutboxRelay(tracked) {
        relay = tracked;
      },
    } satisfies ApiMetrics);
    // Times every request under its route's pattern (never the raw URL: unbounded label values).
    app.addHook('onResponse', (request, reply, next) => {
      httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      next();
    });
    app.addHook('onClose', (_app, next) => {
      for (const name of [
        'helpdesk_api_http_request_duration_seconds',
        'helpdesk_api_outbox_lag_seconds',
        'helpdesk_api_outbox_relay_leader',
        'helpdesk_api_event_publish_delay_seconds',
      ])
        registry.removeSingleMetric(name);
      next();
    });
    done();
  },
  { name: 'metrics' },
);
