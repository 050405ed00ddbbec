import { InProcessBus, metricsRegistry, organizationChannel, startMetricsServer } from '@helpdesk/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  envelopeWithId,
  refusedUpgrade,
  startTestGateway,
  TestClient,
  ticketFor,
  waitFor,
  type TestGateway,
} from './helpers.js';

// The gateway's Prometheus metrics (issue 5), scraped over HTTP from the shared metrics server
// after known traffic: every value below follows from what the test did.

/** `name{labels} value` lines of an exposition, by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

describe('gateway metrics', () => {
  const bus = new InProcessBus();
  const publisher = bus.publisher();
  const clients: TestClient[] = [];
  let served: TestGateway;
  let metrics: Awaited<ReturnType<typeof startMetricsServer>>;

  beforeAll(async () => {
    metrics = await startMetricsServer('127.0.0.1', 0);
  });

  // A gateway of its own for each test (tests run in any order), registering on the shared registry.
  beforeEach(async () => {
    // Frozen time: the connect-rate bucket refills nothing during the test.
    const now = Date.now();
    served = await startTestGateway(
      bus,
      { connectRatePerIp: 1, connectBurstPerIp: 7 },
      { now: () => now, metricsRegistry },
    );
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await served.gateway.close();
  });

  afterAll(async () => {
    await metrics.close();
  });

  const scrape = async (): Promise<Map<string, number>> => {
    const response = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    expect(response.status).toBe(200);
    return samples(await response.text());
  };

  it('exposes sockets, fan-out, duplicates, refusals and replays as counted', async () => {
    const channelA = organizationChannel(served.config.redisPrefix, 'metrics-a');
    const channelB = organizationChannel(served.config.redisPrefix, 'metrics-b');
    // Upgrades 1–4.
    for (const organization of ['metrics-a', 'metrics-a', 'metrics-a', 'metrics-b']) {
      clients.push(await TestClient.connect(served.chat(organization)));
    }
    const events = [1, 2, 3, 4].map((id) => ({ channel: channelA, id, payload: envelopeWithId(id) }));
    await publisher.publishSequenced(events);
    // The relay publishing 4 again: dropped.
    await publisher.publishSequenced([events[3]!]);
    await publisher.publishSequenced([1, 2].map((id) => ({ channel: channelB, id, payload: envelopeWithId(id) })));
    await waitFor(() => clients.every((c, i) => c.frames.length === (i < 3 ? 4 : 2)), 'every event');
    // Upgrade 5: a ticket for another secret. Upgrade 6: a replay of 3 and 4.
    expect(
      (await refusedUpgrade(served.chat('metrics-a', { token: ticketFor('metrics-a', { secret: 'x'.repeat(40) }) })))
        .status,
    ).toBe(401);
    const replayed = await TestClient.connect(served.chat('metrics-a', { lastEventId: 2 }));
    clients.push(replayed);
    await replayed.waitForFrames(2);
    // Upgrade 7 takes the bucket's last token; 8 is over the rate.
    clients.push(await TestClient.connect(served.chat('metrics-b')));
    expect((await refusedUpgrade(served.chat('metrics-b'))).status).toBe(429);

    const values = await scrape();
    const get = (name: string) => values.get(`helpdesk_gateway_${name}`);
    expect({
      open: get('sockets_open'),
      organizations: get('organizations'),
      channels: get('subscribed_channels'),
      replaying: get('replaying_sockets'),
      opened: get('sockets_opened_total'),
      closed: get('sockets_closed_total'),
      forwarded: get('events_forwarded_total'),
      frames: get('frames_published_total'),
      duplicates: get('duplicates_dropped_total'),
      duplicateFrames: get('frames_dropped_total{reason="duplicate"}'),
      delivered: get('event_delivery_seconds_count'),
      revokedKeyCloses: get('revoked_key_closes_total'),
      slowConsumers: get('slow_consumer_closes_total'),
      ticketInvalid: get('upgrades_refused_total{reason="ticket_invalid"}'),
      rateLimited: get('upgrades_refused_total{reason="rate_limited"}'),
      gatewayFull: get('upgrades_refused_total{reason="gateway_full"}'),
      replays: get('replays_total'),
      replayed: get('replayed_events_total'),
      replayResyncs: get('replay_resyncs_total{reason="not_kept"}'),
      resubscribes: get('redis_resubscribes_total'),
      gapFills: get('gap_fills_total'),
      gapFilled: get('gap_filled_events_total'),
      gapResyncs: get('gap_resyncs_total{reason="buffer_full"}'),
    }).toEqual({
      open: 6,
      organizations: 2,
      channels: 2,
      replaying: 0,
      opened: 6,
      closed: 0,
      forwarded: 6,
      // 4 events to the 3 sockets of a, 2 to the 1 socket of b.
      frames: 4 * 3 + 2 * 1,
      duplicates: 1,
      // The duplicate of 4 would have gone to a's 3 sockets.
      duplicateFrames: 3,
      // Every event fanned out carried its change's time (replays are sent socket by socket).
      delivered: 6,
      revokedKeyCloses: 0,
      slowConsumers: 0,
      ticketInvalid: 1,
      rateLimited: 1,
      gatewayFull: 0,
      replays: 1,
      replayed: 2,
      replayResyncs: 0,
      resubscribes: 0,
      gapFills: 0,
      gapFilled: 0,
      gapResyncs: 0,
    });
    // The process's own metrics come from the same server.
    expect([...values.keys()].some((name) => name.startsWith('helpdesk_process_cpu'))).toBe(true);
  });

  it('counts closed sockets, and removes its metrics when the gateway closes', async () => {
    const kept = await TestClient.connect(served.chat('metrics-a'));
    clients.push(kept);
    await (await TestClient.connect(served.chat('metrics-a'))).close();
    await waitFor(async () => (await scrape()).get('helpdesk_gateway_sockets_closed_total') === 1, 'the close');
    expect((await scrape()).get('helpdesk_gateway_sockets_open')).toBe(1);

    await served.gateway.close();
    const names = [...(await scrape()).keys()];
    expect(names.filter((name) => name.startsWith('helpdesk_gateway_'))).toEqual([]);
    expect(metricsRegistry.getSingleMetric('helpdesk_gateway_sockets_open')).toBeUndefined();
  });
});
