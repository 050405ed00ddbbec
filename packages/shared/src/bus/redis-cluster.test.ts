import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type LocalRedisCluster } from '../../../../test/redis-cluster.js';
import { encodeEnvelope } from '../events.js';
import { organizationChannel } from '../organizations.js';
import { RedisBus } from './redis-bus.js';

// The sharded pub/sub path (SPUBLISH/SSUBSCRIBE) on a real 3-node Redis Cluster started here.
let cluster: LocalRedisCluster;
let bus: RedisBus;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  bus = new RedisBus({ url: cluster.seeds, connectionName: 'hd-test-cluster', cluster: true });
}, 60_000);
afterAll(async () => {
  await bus?.close();
  await cluster?.stop();
});

const payload = (org: string, id: number) =>
  encodeEnvelope(
    'update_message',
    {
      created_at: '2021-06-15T11:57:16.420655-03:00',
      updated_at: '2021-06-15T11:57:16.420655-03:00',
      uuid: '00000000-0000-4000-8000-000000000000',
      message: `${org}#${id}`,
      file: null,
      type: 'sent',
      status: 'sent',
      help_desk: '9b1e0000-0000-4000-8000-000000000000',
    },
    id,
  );

describe('sharded pub/sub on a Redis Cluster', () => {
  it("delivers each organization's events, in order, across shards, and keeps their history", async () => {
    // Enough organizations that their channels land on every shard.
    const orgs = Array.from({ length: 12 }, (_, i) => `org-${i}`);
    const channels = orgs.map((org) => organizationChannel('hdcluster:', org));
    const received = new Map<string, string[]>();
    const subscriber = bus.subscriber((channel, bytes) => {
      const list = received.get(channel) ?? [];
      list.push(bytes.toString());
      received.set(channel, list);
    });
    for (const channel of channels) await subscriber.subscribe(channel);

    const events = orgs.flatMap((org, i) =>
      [1, 2, 3].map((id) => ({ channel: channels[i]!, id, payload: payload(org, id) })),
    );
    await bus.publisher().publishSequenced(events);

    await expect.poll(() => [...received.values()].reduce((n, list) => n + list.length, 0), { timeout: 5000 }).toBe(36);
    for (const [i, org] of orgs.entries()) {
      expect(received.get(channels[i]!)).toEqual([1, 2, 3].map((id) => payload(org, id)));
      const history = await bus.history().since(channels[i]!, 1, 10);
      expect(history).toEqual({ complete: true, events: [2, 3].map((id) => ({ id, payload: payload(org, id) })) });
    }
    await subscriber.unsubscribe(channels[0]!);
    await bus.publisher().publishSequenced([{ channel: channels[0]!, id: 4, payload: payload('org-0', 4) }]);
    await bus.publisher().publishSequenced([{ channel: channels[1]!, id: 4, payload: payload('org-1', 4) }]);
    await expect.poll(() => received.get(channels[1]!)?.length).toBe(4);
    expect(received.get(channels[0]!)).toHaveLength(3);
    await subscriber.close();
  }, 30_000);

  // The shard's own subscriber connection reconnects (ioredis' subscriber group), not the cluster
  // client: the gateway must still hear of it, to fill (or resync) what that shard lost.
  it('tells its owner when a restarted shard has its channels subscribed again, and delivers again', async () => {
    const channel = organizationChannel('hdcluster:', 'restarted');
    const received: string[] = [];
    const subscriber = bus.subscriber((_channel, bytes) => received.push(bytes.toString()));
    let resubscribed = 0;
    subscriber.onResubscribed(() => (resubscribed += 1));
    await subscriber.subscribe(channel);
    const publisher = bus.publisher();
    await publisher.publishSequenced([{ channel, id: 1, payload: payload('restarted', 1) }]);
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(1);
    expect(resubscribed).toBe(0);

    await cluster.restartNodeOf(channel);
    await expect.poll(() => resubscribed, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await publisher.publishSequenced([{ channel, id: 2, payload: payload('restarted', 2) }]);
    await expect.poll(() => received, { timeout: 10_000 }).toEqual([1, 2].map((id) => payload('restarted', id)));
    await subscriber.close();
    await publisher.close();
  }, 60_000);
});
