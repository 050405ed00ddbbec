import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPublisher, SequencedEvent } from '@helpdesk/shared';
import { createTestDatabase } from '../../../test/test-env.js';
import { openDatabase } from '../src/db/database.js';
import { createOrganization } from '../src/db/organization.repository.js';
import { enqueueEvents } from '../src/db/outbox.repository.js';
import type { DB } from '../src/db/tables.js';
import { OutboxRelay } from '../src/events/outbox-relay.js';
import { AdvisoryLockLeadership, SingleProcessLeadership } from '../src/events/relay-leadership.js';

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

function relayWith(publisher: EventPublisher, overrides: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
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

    // The leader hears other connections' commits (NOTIFY from the outbox trigger).
    const before = nudges.first;
    await commitEvents(await organization(), 1);
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
});
