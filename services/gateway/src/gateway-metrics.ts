import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayStats } from './gateway-stats.js';

// Prometheus metrics of one gateway (issue 5, "Health and metrics"). The gateway already counts
// everything in GatewayStats for its log summary; these metrics read those counts when scraped
// (prom-client `collect`), so the hot paths count once and pay nothing per scrape-less event.

export const METRIC_PREFIX = 'helpdesk_gateway_';

/** What a scrape reads: the totals, and the gauges computed at that moment. */
export interface MetricsSource {
  stats: GatewayStats;
  gauges(): GatewayGauges;
}

export interface GatewayGauges {
  open: number;
  organizations: number;
  subscribedChannels: number;
  replayingSockets: number;
}

/**
 * Registers the gateway's metrics on `registry`; returns a function that removes them again, so
 * a closed gateway leaves nothing behind (and another may register the same names after it).
 * One gateway per registry at a time: the names are fixed.
 */
export function registerGatewayMetrics(registry: Registry, source: MetricsSource): () => void {
  const { stats } = source;
  const names: string[] = [];
  const registers = [registry];

  const gauge = (name: string, help: string, read: (gauges: GatewayGauges) => number): void => {
    names.push(METRIC_PREFIX + name);
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers,
      collect() {
        this.set(read(source.gauges()));
      },
    });
  };
  // A counter that mirrors a total kept in GatewayStats (never decreasing while the gateway runs).
  const counter = (name: string, help: string, read: () => number): void => {
    names.push(METRIC_PREFIX + name);
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  const labelledCounter = (name: string, help: string, label: string, read: () => Record<string, number>): void => {
    names.push(METRIC_PREFIX + name);
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        // Every label value is exposed, zeros included, so rate() works from the first scrape.
        for (const [value, count] of Object.entries(read())) this.inc({ [label]: snakeCase(value) }, count);
      },
    });
  };

  gauge('sockets_open', 'Chat sockets open on this gateway.', (g) => g.open);
  gauge(
    'organizations',
    'Organizations with at least one socket (or upgrade in progress) here.',
    (g) => g.organizations,
  );
  gauge(
    'subscribed_channels',
    'Organization channels this gateway is subscribed to on the bus.',
    (g) => g.subscribedChannels,
  );
  gauge('replaying_sockets', 'Sockets still being sent what they missed (?last_event_id).', (g) => g.replayingSockets);

  counter('sockets_opened_total', 'Chat sockets opened.', () => stats.opened);
  counter('sockets_closed_total', 'Chat sockets closed, for any reason.', () => stats.closed);
  counter('events_forwarded_total', 'Events published to organization topics.', () => stats.eventsForwarded);
  counter(
    'frames_published_total',
    'Frames fanned out to sockets: each event published times the sockets subscribed to its topic then.',
    () => stats.framesPublished,
  );
  counter(
    'duplicates_dropped_total',
    'Events not forwarded because their id was forwarded already (the relay published again).',
    () => stats.duplicatesDropped,
  );
  labelledCounter(
    'frames_dropped_total',
    'Frames not sent, by reason: duplicate (an event forwarded already, times the sockets of its topic). What sockets closed as slow consumers never got is counted in bytes (slow_consumer_dropped_bytes_total).',
    'reason',
    () => ({ duplicate: stats.duplicateFramesDropped }),
  );
  counter(
    'slow_consumer_dropped_bytes_total',
    'Bytes still buffered for sockets closed as slow consumers, which they never received.',
    () => stats.slowConsumerBytesDropped,
  );
  names.push(`${METRIC_PREFIX}event_delivery_seconds`);
  const delivery = new Histogram({
    name: `${METRIC_PREFIX}event_delivery_seconds`,
    help: "From a change (its data's updated_at, by Postgres' clock) to its event's fan-out on this gateway: commit, outbox relay, Redis and the gateway, plus any clock skew between the hosts.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  stats.observeEventDelay = (seconds) => delivery.observe(seconds);
  counter(
    'slow_consumer_closes_total',
    'Sockets closed with 4008 because their outgoing buffer stayed over WS_MAX_BACKPRESSURE_BYTES (or a replay overflowed).',
    () => stats.slowConsumers,
  );
  counter(
    'forced_closes_total',
    'Sockets the gateway closed whose close frame had not gone out within WS_CLOSE_TIMEOUT_MS (a client that stopped reading): their connection was cut.',
    () => stats.forcedCloses,
  );
  counter(
    'revoked_key_closes_total',
    'Sockets closed with 4001 because the API key their ticket was issued to was revoked.',
    () => stats.revokedKeyCloses,
  );
  counter(
    'events_unavailable_closes_total',
    "Sockets closed with 1013 because their organization's bus subscription failed after they opened.",
    () => stats.eventsUnavailableCloses,
  );
  labelledCounter(
    'upgrades_refused_total',
    'Socket upgrades refused, by reason (rate_limited: WS_CONNECT_RATE_PER_IP).',
    'reason',
    () => stats.refused,
  );
  counter('replays_total', 'Sockets that connected with ?last_event_id.', () => stats.replays.started);
  counter('replayed_events_total', 'Events sent to reconnecting sockets from the history.', () => stats.replays.events);
  labelledCounter(
    'replay_resyncs_total',
    'Reconnecting sockets sent a resync instead of a replay, by reason.',
    'reason',
    () => stats.replays.resyncs,
  );
  counter(
    'redis_resubscribes_total',
    'Times the bus connection came back and subscribed its channels again (Redis restarts, network loss).',
    () => stats.resubscribes,
  );
  counter(
    'gap_fills_total',
    'Topics whose history was read after a resubscribe, to publish what the bus missed.',
    () => stats.gapFills.started,
  );
  counter(
    'gap_filled_events_total',
    'Events published to topics from the history after a resubscribe.',
    () => stats.gapFills.events,
  );
  labelledCounter(
    'gap_resyncs_total',
    'Topics sent a resync after a resubscribe instead of the events missed, by reason.',
    'reason',
    () => stats.gapFills.resyncs,
  );

  counter(
    'catch_ups_total',
    'Organizations whose first socket here opened before the bus confirmed their subscription.',
    () => stats.catchUps.started,
  );
  counter(
    'catch_up_reads_total',
    'Of those, the ones the bus missed events for until then, read from the history.',
    () => stats.catchUps.reads,
  );
  counter(
    'catch_up_events_total',
    'Events published to topics from the history by those catch-ups.',
    () => stats.catchUps.events,
  );
  labelledCounter(
    'catch_up_resyncs_total',
    'Catch-ups that sent their topic a resync instead of the events missed, by reason.',
    'reason',
    () => stats.catchUps.resyncs,
  );

  return () => {
    stats.observeEventDelay = () => undefined;
    for (const name of names) registry.removeSingleMetric(name);
  };
}

/** `ticketOtherOrganization` → `ticket_other_organization`. */
function snakeCase(value: string): string {
  return value.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
