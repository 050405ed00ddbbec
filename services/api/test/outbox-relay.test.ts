import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { organizationChannel, RedisBus, type EventPublisher, type SequencedEvent } from '@helpdesk/shared';
import { createTestDatabase, redisPrefix, testEnv } from '../../../test/test-env.js';
import { openDatabase } from '../src/db/database.js';
import { createOrganization } from '../src/db/organization.repository.js';
import {
  enqueueEvents,
  notifyEventsCommitted,
  OUTBOX_NOTIFY_CHANNEL,
  type OutboxEvent,
} from '../src/db/outbox.repository.js';
import type { DB } from '../src/db/tables.js';
import { OutboxHistory } from '../src/events/outbox-history.js';
import { OutboxRelay, type OutboxRelayOptions } from '../src/events/outbox-relay.js';
import { AdvisoryLockLeadership, SingleProcessLeadership } from '../src/events/relay-leadership.js';
import { useQueryRecorder } from './query-plans.js';

// The relay against real Postgres, with a publisher the test controls: what reaches the bus, in
// which batches, and what happens while the bus fails.

const log = pino({ level: 'silent' });
let url: string;
let db: Kysely<DB>;

beforeAll(async () => {
  url = await createTestDatabase();
  db = await openDatabase({ kind: 'postgres', url, poolSize: 4, preparedStatements: true }, 'UTC');
});
afterAll(async () => {
  await db?.destroy();
});

/** Records each publishSequenced call; fails while `failing` is set. */
class FakePublisher implements EventPublisher {
  batches: SequencedEvent[][] = [];
  failing = false;
  publish(): Promise<void> {
    return Promise.reject(new Error('the relay publishes sequenced events only'));
  }
  publishSequenced(events: readonly SequencedEvent[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('bus down'));
    this.batches.push([...events]);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  get events(): SequencedEvent[] {
    return this.batches.flat();
  }
}

async function organization(): Promise<{ id: string; name: string }> {
  const name = `org-${randomUUID().slice(0, 8)}`;
  await createOrganization(db, randomUUID(), name);
  const row = await db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row;
}

/** Commits `count` events for the organization, one transaction each. */
async function commitEvents(org: { id: string; name: string }, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await db
      .transaction()
      .execute((trx) => enqueueEvents(trx, org, [{ type: 'update_message', payload: { n: i } as never }]));
  }
}

function relayWith(publisher: EventPublisher, overrides: Partial<OutboxRelayOptions> = {}) {
  return new OutboxRelay({
    db,
    publisher,
    channelPrefix: 'p:',
    leadership: new SingleProcessLeadership(),
    log,
    batchSize: 500,
    pollIntervalMs: 60_000,
    retryMaxMs: 50,
    retentionSeconds: 3600,
    ...overrides,
  });
}

/** Marks every event published, so each test sees only its own. */
async function drainOutbox(): Promise<void> {
  await db.updateTable('outbox_events').set({ published_at: '2000-01-01T00:00:00Z' }).execute();
}

describe('outbox relay', () => {
  it('publishes in id order, one bus round trip per batch, and marks what it published', async () => {
    await drainOutbox();
    const a = await organization();
    const b = await organization();
    await commitEvents(a, 3);
    await commitEvents(b, 2);
    await commitEvents(a, 2);
    const publisher = new FakePublisher();
    const relay = relayWith(publisher, { batchSize: 3 });
    await relay.flush();
    expect(publisher.batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
    const ofA = publisher.events.filter((e) => e.channel === `p:org:${a.name}`);
    expect(ofA.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(publisher.events.filter((e) => e.channel === `p:org:${b.name}`).map((e) => e.id)).toEqual([1, 2]);
    expect(JSON.parse(ofA[0]!.payload)).toMatchObject({ type: 'update_message', id: 1 });
    expect(await relay.lag()).toBe(0);
    await relay.flush();
    expect(publisher.events).toHaveLength(7);
    await relay.close(1000);
  });

  it('keeps events while the bus fails and publishes them, in order, once it answers', async () => {
    await drainOutbox();
    const org = await organization();
    const publisher = new FakePublisher();
    publisher.failing = true;
    const relay = relayWith(publisher);
    relay.start();
    await commitEvents(org, 4);
    relay.nudge();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(publisher.events).toEqual([]);
    expect(await relay.lag()).toBeGreaterThan(0);
    publisher.failing = false;
    // The backoff retry publishes without anyone nudging.
    await expect.poll(() => publisher.events.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    await expect.poll(() => relay.lag()).toBe(0);
    await relay.close(1000);
  });

  it('publishes at close what was committed', async () => {
    await drainOutbox();
    const org = await organization();
    const publisher = new FakePublisher();
    const relay = relayWith(publisher);
    await commitEvents(org, 2);
    await relay.close(1000);
    expect(publisher.events.map((e) => e.id)).toEqual([1, 2]);
  });

  it('the embedded history shows what the relay published before its mark', async () => {
    await drainOutbox();
    const org = await organization();
    const channel = organizationChannel('p:', org.name);
    const publisher = new FakePublisher();
    const relay = relayWith(publisher, { markDelayMs: 60_000 });
    await commitEvents(org, 1);
    await relay.flush();
    relay.committed([await commitOne(org)]);
    await expect.poll(() => publisher.events.map((e) => e.id)).toEqual([1, 2]);
    // Event 2 is out on the bus, its mark still waiting: a socket resuming after 1 gets it.
    const history = new OutboxHistory(db, 'p:', (ch) => relay.publishedThrough(ch));
    expect((await history.since(channel, 1, 10)).events.map((e) => e.id)).toEqual([2]);
    expect(await history.latestId(channel)).toBe(2);
    // Going by the marks alone, it would look unpublished.
    const byMarks = new OutboxHistory(db, 'p:');
    expect(await byMarks.since(channel, 1, 10)).toEqual({ events: [], complete: true });
    expect(await byMarks.latestId(channel)).toBe(1);
    await relay.close(1000);
  });

  it('lets one replica publish at a time (advisory lock); another takes over when it goes', async () => {
    await drainOutbox();
    const nudges = { first: 0, second: 0 };
    const leadership = (name: 'first' | 'second') =>
      new AdvisoryLockLeadership({
        url,
        log,
        queryTimeoutMs: 5000,
        events: { onLeader: () => (nudges[name] += 1), onNotify: () => (nudges[name] += 1) },
      });
    const first = leadership('first');
    const second = leadership('second');
    await first.tick();
    await second.tick();
    expect([first.isLeader, second.isLeader]).toEqual([true, false]);
    await second.tick();
    expect(second.isLeader).toBe(false);

    // The leader hears the notice another replica sends after its commit.
    const before = nudges.first;
    await notifyEventsCommitted(db);
    await expect.poll(() => nudges.first).toBeGreaterThan(before);
    expect(nudges.second).toBe(0);

    // The leader's session ends (as when its process dies): the lock is free for the other.
    await sql`
      select pg_terminate_backend(pid) from pg_locks
      where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())
    `.execute(db);
    await expect.poll(() => first.isLeader).toBe(false);
    await second.tick();
    expect(second.isLeader).toBe(true);
    await first.tick();
    expect(first.isLeader).toBe(false);
    await Promise.all([first.close(), second.close()]);
  });

  it('commits that add events send no NOTIFY: it would make all of them commit one at a time', async () => {
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`listen ${OUTBOX_NOTIFY_CHANNEL}`);
    try {
      await commitEvents(await organization(), 2);
      // A marked notice sent after those commits: notifications arrive in commit order, so one
      // from the commits would be heard before it.
      await sql`select pg_notify(${OUTBOX_NOTIFY_CHANNEL}, 'after the commits')`.execute(db);
      await expect.poll(() => heard).toContain('after the commits');
      expect(heard).toEqual(['after the commits']);
    } finally {
      await listener.end();
    }
  });

  it('a replica that does not lead tells the leader of its commit, which publishes it at once', async () => {
    await drainOutbox();
    const org = await organization();
    const replica = (publisher: FakePublisher) => {
      const wake = { relay: undefined as OutboxRelay | undefined };
      const leadership = new AdvisoryLockLeadership({
        url,
        log,
        queryTimeoutMs: 5000,
        events: { onLeader: () => wake.relay?.nudge(), onNotify: () => wake.relay?.nudge() },
      });
      // No poll within the test: only the notice can make the leader publish.
      const relay = relayWith(publisher, { leadership, pollIntervalMs: 60_000 });
      wake.relay = relay;
      return { relay, leadership };
    };
    const leading = new FakePublisher();
    const following = new FakePublisher();
    const first = replica(leading);
    const second = replica(following);
    await first.leadership.tick();
    await second.leadership.tick();
    expect([first.leadership.isLeader, second.leadership.isLeader]).toEqual([true, false]);
    await commitEvents(org, 1);
    second.relay.committed();
    await expect.poll(() => leading.events.map((e) => e.id)).toEqual([1]);
    expect(following.events).toEqual([]);
    await Promise.all([first.relay.close(1000), second.relay.close(1000)]);
  });
});

/**
 * The real Redis publisher, watched: each call's batch, and how many relay statements had run
 * when it was called; a hook that runs inside a call, and an outage on demand.
 */
class WatchedPublisher implements EventPublisher {
  readonly calls: Array<{ ids: Array<[channel: string, id: number]>; statementsBefore: number }> = [];
  /** While set, a publish fails as with an unreachable Redis (and publishes nothing). */
  down = false;
  /** Runs inside the n-th call (1-based), before the events reach Redis. */
  during: { call: number; run: () => Promise<void> } | undefined;

  constructor(
    private readonly redis: EventPublisher,
    private readonly statements: () => number,
  ) {}

  publish(): Promise<void> {
    return Promise.reject(new Error('the relay publishes sequenced events only'));
  }
  async publishSequenced(events: readonly SequencedEvent[]): Promise<void> {
    this.calls.push({ ids: events.map((e) => [e.channel, e.id]), statementsBefore: this.statements() });
    if (this.during?.call === this.calls.length) await this.during.run();
    if (this.down) throw new Error('connect ECONNREFUSED (test outage)');
    await this.redis.publishSequenced(events);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** What subscribers of the organizations' channels receive: the ids of the envelopes, per channel. */
async function listen(bus: RedisBus, channels: string[]): Promise<Map<string, number[]>> {
  const received = new Map(channels.map((channel) => [channel, [] as number[]]));
  const subscriber = bus.subscriber((channel, payload) => {
    received.get(channel)?.push((JSON.parse(payload.toString()) as { id: number }).id);
  });
  await Promise.all(channels.map((channel) => subscriber.subscribe(channel)));
  return received;
}

async function statementsWaitingForALock(): Promise<number> {
  const { rows } = await sql<{ waiting: number }>`
    select count(*)::int as waiting from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'
  `.execute(db);
  return rows[0]?.waiting ?? 0;
}

async function unpublishedSeqs(org: { id: string }): Promise<number[]> {
  const rows = await db
    .selectFrom('outbox_events')
    .select('seq')
    .where('organization_id', '=', org.id)
    .where('published_at', 'is', null)
    .orderBy('seq')
    .execute();
  return rows.map((r) => Number(r.seq));
}

/** Commits one event and answers it as its writer hands it to the relay (as send-message does). */
async function commitOne(org: { id: string; name: string }): Promise<OutboxEvent> {
  const [seq] = await db
    .transaction()
    .execute((trx) => enqueueEvents(trx, org, [{ type: 'update_message', payload: { handed: true } as never }]));
  const row = await db
    .selectFrom('outbox_events')
    .select(['id', 'organization_name', 'seq', 'payload'])
    .where('organization_id', '=', org.id)
    .where('seq', '=', String(seq))
    .executeTakeFirstOrThrow();
  return { id: row.id, organizationName: row.organization_name, seq: Number(row.seq), payload: row.payload };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('outbox relay on Redis, one round trip per batch (issue 12)', () => {
  const recorder = useQueryRecorder(() => url);
  let bus: RedisBus;
  let prefix: string;
  beforeAll(() => {
    bus = new RedisBus({ url: testEnv().redisUrl, connectionName: 'hd-test-outbox-relay' });
  });
  afterAll(async () => {
    await bus?.close();
  });
  beforeEach(async () => {
    prefix = redisPrefix();
    await drainOutbox();
  });

  /** A relay that runs its statements through the recorder, publishing to Redis through `watched`. */
  function watchedRelay(overrides: Partial<OutboxRelayOptions> = {}) {
    const statementsBefore = recorder.queries.length;
    const publisher = new WatchedPublisher(bus.publisher(), () => recorder.queries.length - statementsBefore);
    const relay = relayWith(publisher, { db: recorder.db, channelPrefix: prefix, ...overrides });
    return { relay, publisher, statements: () => recorder.queries.length - statementsBefore };
  }

  it('publishes a burst of concurrent commits from many organizations in id order per organization, each id once', async () => {
    const orgs = await Promise.all(range(1, 12).map(() => organization()));
    const channels = orgs.map((org) => organizationChannel(prefix, org.name));
    const received = await listen(bus, channels);
    const { relay, publisher } = watchedRelay({ batchSize: 7 });
    // As the api does: each writer nudges the relay after its commit, or hands its events over
    // (send-message), while passes run.
    await Promise.all(
      orgs.flatMap((org) =>
        range(1, 3).map(async (writer) => {
          for (let i = 0; i < 8; i += 1) {
            if (writer === 1) {
              await commitEvents(org, 1);
              relay.nudge();
            } else relay.committed([await commitOne(org)]);
          }
        }),
      ),
    );
    await relay.flush();
    await expect.poll(() => [...received.values()].flat().length).toBe(12 * 24);
    expect([...received.values()]).toEqual(channels.map(() => range(1, 24)));
    expect(publisher.calls.length).toBeGreaterThan(1);
    expect(await relay.lag()).toBe(0);
    await relay.close(1000);
  });

  it('leaves the events of a failed publish unmarked, and publishes them once the bus is back', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    await commitEvents(org, 5);
    const { relay, publisher } = watchedRelay({ batchSize: 2 });
    // Redis goes away after the first batch: the pass fails at its second publish.
    publisher.during = { call: 2, run: () => Promise.resolve(void (publisher.down = true)) };
    await relay.flush();
    expect(publisher.calls.map((call) => call.ids.map(([, id]) => id))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // The read of the second batch marked the first; nothing after it is marked.
    expect(await unpublishedSeqs(org)).toEqual([3, 4, 5]);
    await expect.poll(() => received.get(channel)).toEqual([1, 2]);

    // The bus is back: the backoff retry publishes the rest, in order, each once.
    publisher.down = false;
    await expect.poll(() => unpublishedSeqs(org)).toEqual([]);
    await expect.poll(() => received.get(channel)).toEqual([1, 2, 3, 4, 5]);
    await relay.close(1000);
    expect(received.get(channel)).toEqual([1, 2, 3, 4, 5]);
  });

  it('publishes a commit made during a pass after one more statement, without another round', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    await commitEvents(org, 1);
    const { relay, publisher, statements } = watchedRelay();
    // While the first event is being published, another commits and nudges the relay.
    publisher.during = {
      call: 1,
      run: async () => {
        await commitEvents(org, 1);
        relay.nudge();
      },
    };
    await relay.flush();
    await expect.poll(() => received.get(channel)).toEqual([1, 2]);
    // Each statement marks what the bus took and reads what is next: read [1] → publish →
    // (mark 1, read [2]) → publish → (mark 2, read nothing). Marking and reading apart, then
    // reading again in a round for the nudge, took two statements before the second publish and
    // four in all.
    expect(publisher.calls).toEqual([
      { ids: [[channel, 1]], statementsBefore: 1 },
      { ids: [[channel, 2]], statementsBefore: 2 },
    ]);
    expect(statements()).toBe(3);
    expect(await unpublishedSeqs(org)).toEqual([]);
    await relay.close(1000);
  });

  it('marks what it published when it loses the lead mid-pass, and publishes nothing more', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    await commitEvents(org, 3);
    const leadership = { isLeader: true, tick: () => Promise.resolve(), close: () => Promise.resolve() };
    const { relay, publisher } = watchedRelay({ batchSize: 1, leadership });
    // Another replica takes the lock while the first event is being published.
    publisher.during = { call: 1, run: () => Promise.resolve(void (leadership.isLeader = false)) };
    await relay.flush();
    expect(publisher.calls.map((call) => call.ids)).toEqual([[[channel, 1]]]);
    expect(await unpublishedSeqs(org)).toEqual([2, 3]);
    await expect.poll(() => received.get(channel)).toEqual([1]);
    await relay.close(1000);
  });

  it('goes round again for a commit nudged while its last read is out', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    await commitEvents(org, 1);
    // Another session holds event 1's row: the statement that marks it, and reads what is next,
    // waits (its snapshot already taken) until that session ends.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('select 1 from outbox_events where organization_id = $1 and seq = 1 for update', [org.id]);
    const { relay, publisher, statements } = watchedRelay();
    const pass = relay.flush();
    await expect.poll(() => statementsWaitingForALock()).toBe(1);
    await commitEvents(org, 1);
    relay.nudge();
    await locker.query('commit');
    await locker.end();
    await pass;
    // read [1] → publish → (mark 1, read: nothing, event 2 was not committed at its start) →
    // a round for the nudge: read [2] → publish → (mark 2, read nothing: within MARK_DELAY_MS).
    expect(publisher.calls).toEqual([
      { ids: [[channel, 1]], statementsBefore: 1 },
      { ids: [[channel, 2]], statementsBefore: 3 },
    ]);
    await expect.poll(() => unpublishedSeqs(org)).toEqual([]);
    expect(statements()).toBe(4);
    await expect.poll(() => received.get(channel)).toEqual([1, 2]);
    await relay.close(1000);
  });

  it('publishes events handed over by their commit before any statement, once it knows the organization', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    const { relay, publisher, statements } = watchedRelay();
    // The first event of an organization is read: the relay does not yet know what came before it.
    relay.committed([await commitOne(org)]);
    await expect.poll(() => unpublishedSeqs(org)).toEqual([]);
    expect(publisher.calls).toEqual([{ ids: [[channel, 1]], statementsBefore: 1 }]);
    expect(statements()).toBe(2);
    // From then on, a handed-over event next in line goes out at once; the one statement after
    // it marks it (and reads nothing more).
    relay.committed([await commitOne(org)]);
    await expect.poll(() => unpublishedSeqs(org)).toEqual([]);
    expect(publisher.calls[1]).toEqual({ ids: [[channel, 2]], statementsBefore: 2 });
    expect(statements()).toBe(3);
    await expect.poll(() => received.get(channel)).toEqual([1, 2]);
    await relay.close(1000);
  });

  it('publishes handed-over events in id order, and leaves one after a gap to the read', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    const { relay, publisher } = watchedRelay();
    await commitEvents(org, 1);
    await relay.flush();
    const second = await commitOne(org);
    await commitEvents(org, 1); // another replica's commit: never handed over here
    const fourth = await commitOne(org);
    // Handed over in the order the answers came back, fourth before second.
    relay.committed([fourth, second]);
    await expect.poll(() => unpublishedSeqs(org)).toEqual([]);
    // 2 follows 1 and goes out at once; 4 does not follow 2, so the read brings 3 and 4.
    expect(publisher.calls.map((call) => call.ids.map(([, id]) => id))).toEqual([[1], [2], [3, 4]]);
    expect(publisher.calls[1]!.statementsBefore).toBe(publisher.calls[0]!.statementsBefore + 1);
    await expect.poll(() => received.get(channel)).toEqual([1, 2, 3, 4]);
    await relay.close(1000);
  });

  it('forgets what was handed over when it loses the lead, so it never publishes it again', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    const leadership = { isLeader: true, tick: () => Promise.resolve(), close: () => Promise.resolve() };
    const { relay, publisher } = watchedRelay({ leadership });
    await commitEvents(org, 1);
    // While event 1 is being published, event 2 commits here and is handed over; then another
    // replica takes the lead (and publishes event 2 itself).
    publisher.during = {
      call: 1,
      run: async () => {
        relay.committed([await commitOne(org)]);
        leadership.isLeader = false;
      },
    };
    await relay.flush();
    const other = watchedRelay();
    await other.relay.flush();
    expect(other.publisher.calls.map((call) => call.ids)).toEqual([[[channel, 2]]]);
    await other.relay.close(1000);
    // The lead comes back: event 2, handed over before, is not published a second time.
    leadership.isLeader = true;
    await relay.flush();
    expect(publisher.calls.map((call) => call.ids.map(([, id]) => id))).toEqual([[1]]);
    await expect.poll(() => received.get(channel)).toEqual([1, 2]);
    await relay.close(1000);
  });

  it('marks the events it published without a read together, in one statement, within the mark delay', async () => {
    const org = await organization();
    const channel = organizationChannel(prefix, org.name);
    const received = await listen(bus, [channel]);
    const { relay, publisher, statements } = watchedRelay({ markDelayMs: 60_000 });
    await commitEvents(org, 1);
    await relay.flush();
    expect(statements()).toBe(2);
    for (let i = 0; i < 4; i += 1) {
      relay.committed([await commitOne(org)]);
      await expect.poll(() => publisher.calls.length).toBe(i + 2);
    }
    // Published at once, each without a statement; their marks wait (here for the flush).
    expect(publisher.calls.map((call) => call.statementsBefore)).toEqual([1, 2, 2, 2, 2]);
    await expect.poll(() => received.get(channel)).toEqual([1, 2, 3, 4, 5]);
    expect(await unpublishedSeqs(org)).toEqual([2, 3, 4, 5]);
    await relay.flush();
    expect(await unpublishedSeqs(org)).toEqual([]);
    // One statement, the flush's, marked the four and read nothing more.
    expect(statements()).toBe(3);
    await relay.close(1000);
  });
});
