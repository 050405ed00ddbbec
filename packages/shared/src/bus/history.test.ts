import { afterAll, describe, expect, it } from 'vitest';
import { redisPrefix, testEnv } from '../../../../test/test-env.js';
import { encodeEnvelope } from '../events.js';
import type { MessageJson } from '../objects.js';
import type { EventBus } from './event-bus.js';
import { InProcessBus } from './in-process-bus.js';
import { RedisBus } from './redis-bus.js';
import { decodeKeyRevoked, keyRevocationsChannel } from '../key-revocations.js';

const message = (n: number): MessageJson => ({
  created_at: '2021-06-15T11:57:16.420655-03:00',
  updated_at: '2021-06-15T11:57:16.420655-03:00',
  uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  message: `m${n}`,
  file: null,
  type: 'sent',
  status: 'sent',
  help_desk: '9b1e0000-0000-4000-8000-000000000000',
});
const event = (channel: string, id: number) => ({
  channel,
  id,
  payload: encodeEnvelope('new_message', message(id), id),
});

const buses: EventBus[] = [];
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
});

const makers: Array<[string, (maxEvents: number, maxAgeMs?: number) => EventBus]> = [
  ['in-process', (maxEvents, maxAgeMs = 60_000) => new InProcessBus({ maxEvents, maxAgeMs })],
  [
    'redis',
    (maxEvents, maxAgeMs = 60_000) =>
      new RedisBus({
        url: testEnv().redisUrl,
        connectionName: 'hd-test-history',
        history: { maxEvents, maxAgeMs },
      }),
  ],
];

describe.each(makers)('%s history', (_name, make) => {
  it('publishes live and keeps what a reconnecting socket missed, in order', async () => {
    const bus = make(1000);
    buses.push(bus);
    const channel = `${redisPrefix()}org:acme`;
    const live: string[] = [];
    const subscriber = bus.subscriber((_c, payload) => live.push(payload.toString()));
    await subscriber.subscribe(channel);
    const publisher = bus.publisher();
    const events = [1, 2, 3, 4, 5].map((id) => event(channel, id));
    await publisher.publishSequenced(events);
    await expect.poll(() => live.length).toBe(5);
    expect(live).toEqual(events.map((e) => e.payload));

    const read = await bus.history().since(channel, 2, 100);
    expect(read.complete).toBe(true);
    expect(read.events.map((e) => [e.id, e.payload.toString()])).toEqual(events.slice(2).map((e) => [e.id, e.payload]));
    expect(await bus.history().since(channel, 5, 100)).toEqual({ events: [], complete: true });
    expect((await bus.history().since(channel, 0, 2)).events.map((e) => e.id)).toEqual([1, 2]);
    expect(await bus.history().latestId(channel)).toBe(5);
    expect(await bus.history().latestId(`${redisPrefix()}org:never`)).toBeUndefined();
    await subscriber.close();
  });

  it('re-publishing an id delivers it again but keeps it once', async () => {
    const bus = make(1000);
    buses.push(bus);
    const channel = `${redisPrefix()}org:dup`;
    await bus.publisher().publishSequenced([event(channel, 1), event(channel, 2)]);
    await bus.publisher().publishSequenced([event(channel, 2), event(channel, 3)]);
    expect((await bus.history().since(channel, 0, 100)).events.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('knows the newest id after the whole history expired', async () => {
    const bus = make(1000, 50);
    buses.push(bus);
    const channel = `${redisPrefix()}org:idle`;
    await bus.publisher().publishSequenced([event(channel, 1), event(channel, 2)]);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await bus.history().since(channel, 0, 10)).toEqual({ events: [], complete: false });
    expect(await bus.history().latestId(channel)).toBe(2);
    // A socket that saw the newest id missed nothing: no resync after an idle night.
    expect(await bus.history().since(channel, 2, 10)).toEqual({ events: [], complete: true });
  });

  it('says incomplete when the kept history no longer reaches back', async () => {
    const bus = make(3);
    buses.push(bus);
    const channel = `${redisPrefix()}org:trim`;
    // Redis trims with "~" (whole macro nodes), so publish enough for a real trim to happen.
    await bus.publisher().publishSequenced(Array.from({ length: 300 }, (_, i) => event(channel, i + 1)));
    const read = await bus.history().since(channel, 1, 10);
    expect(read.complete).toBe(false);
    // The newest id outlives the trimmed history, and a repeated old id does not lower it.
    await bus.publisher().publishSequenced([event(channel, 7)]);
    expect(await bus.history().latestId(channel)).toBe(300);
    expect(await bus.history().since(`${redisPrefix()}org:never`, 4, 10)).toEqual({ events: [], complete: false });
    expect((await bus.history().since(channel, 400, 10)).complete).toBe(false);
  });
});

describe.each(makers)('%s key revocations', (_name, make) => {
  it('are published live and kept until they may be forgotten', async () => {
    const bus = make(10);
    buses.push(bus);
    const channel = keyRevocationsChannel(redisPrefix());
    const heard: Array<string | undefined> = [];
    const subscriber = bus.subscriber((_channel, payload) => heard.push(decodeKeyRevoked(payload)));
    await subscriber.subscribe(channel);
    const store = bus.keyRevocations(channel);
    const now = Date.now();
    await store.add('key-a', now + 60_000);
    await store.add('key-b', now + 200);
    await expect.poll(() => heard).toEqual(['key-a', 'key-b']);
    expect((await store.list(now)).sort()).toEqual(['key-a', 'key-b']);
    // Past the shorter one: the longer one is still kept (a shorter entry added last must not
    // shorten the list's life), and another handle (a gateway that starts later) sees it too.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await bus.keyRevocations(channel).list(Date.now())).toEqual(['key-a']);
    expect(await store.list(now + 60_000)).toEqual([]);
    await subscriber.close();
  });
});
