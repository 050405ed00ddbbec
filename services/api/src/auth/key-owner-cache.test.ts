import { describe, expect, it } from 'vitest';
import type { KeyOwner } from '../db/api-key.repository.js';
import { KeyOwnerCache } from './key-owner-cache.js';

const alice: KeyOwner = { keyId: '1', keyUuid: 'uuid-a', organizationId: '10', organizationName: 'acme' };
const bob: KeyOwner = { keyId: '2', keyUuid: 'uuid-b', organizationId: null, organizationName: null };

/** A database of keys by hash that counts its lookups; `pending` holds a lookup until released. */
function keyTable(rows: Record<string, KeyOwner>) {
  const table = {
    lookups: 0,
    hold: false,
    release: () => undefined as void,
    find: (hash: string): Promise<KeyOwner | undefined> => {
      table.lookups += 1;
      if (!table.hold) return Promise.resolve(rows[hash]);
      return new Promise((resolve) => (table.release = () => resolve(rows[hash])));
    },
  };
  return table;
}

function cache(options: Partial<ConstructorParameters<typeof KeyOwnerCache>[0]> = {}) {
  let now = 1000;
  let listening = true;
  const subject = new KeyOwnerCache({
    maxEntries: 100,
    ttlMs: 60_000,
    listening: () => listening,
    now: () => now,
    ...options,
  });
  return {
    subject,
    advance: (ms: number) => (now += ms),
    setListening: (value: boolean) => (listening = value),
  };
}

describe('KeyOwnerCache', () => {
  it('answers a key it has seen without asking the database again', async () => {
    const db = keyTable({ ha: alice });
    const { subject } = cache();
    expect(await subject.lookup('ha', db.find)).toEqual(alice);
    expect(await subject.lookup('ha', db.find)).toEqual(alice);
    expect(db.lookups).toBe(1);
  });

  it('never keeps an invalid key: a key created later works at once', async () => {
    const rows: Record<string, KeyOwner> = {};
    const db = keyTable(rows);
    const { subject } = cache();
    expect(await subject.lookup('ha', db.find)).toBeUndefined();
    rows.ha = alice;
    expect(await subject.lookup('ha', db.find)).toEqual(alice);
  });

  it('asks the database again once a revocation of the key is heard', async () => {
    const rows: Record<string, KeyOwner> = { ha: alice, hb: bob };
    const db = keyTable(rows);
    const { subject } = cache();
    await subject.lookup('ha', db.find);
    await subject.lookup('hb', db.find);
    delete rows.ha;
    subject.revoke('uuid-a');
    expect(await subject.lookup('ha', db.find)).toBeUndefined();
    // The other key stays cached.
    expect(await subject.lookup('hb', db.find)).toEqual(bob);
    expect(db.lookups).toBe(3);
  });

  it('does not keep an answer read before a revocation heard while it was on its way', async () => {
    const db = keyTable({ ha: alice });
    const { subject } = cache();
    db.hold = true;
    const first = subject.lookup('ha', db.find);
    subject.revoke('uuid-a');
    db.release();
    expect(await first).toEqual(alice);
    db.hold = false;
    await subject.lookup('ha', db.find);
    expect(db.lookups).toBe(2);
  });

  it('serves nothing from the cache, and forgets it, while revocations cannot be heard', async () => {
    const db = keyTable({ ha: alice });
    const { subject, setListening } = cache();
    await subject.lookup('ha', db.find);
    setListening(false);
    await subject.lookup('ha', db.find);
    await subject.lookup('ha', db.find);
    expect([db.lookups, subject.size]).toEqual([3, 0]);
    setListening(true);
    await subject.lookup('ha', db.find);
    await subject.lookup('ha', db.find);
    expect(db.lookups).toBe(4);
  });

  it('asks the database again after the time to live, and after a clear', async () => {
    const db = keyTable({ ha: alice });
    const { subject, advance } = cache({ ttlMs: 5000 });
    await subject.lookup('ha', db.find);
    advance(4999);
    await subject.lookup('ha', db.find);
    expect(db.lookups).toBe(1);
    advance(1);
    await subject.lookup('ha', db.find);
    expect(db.lookups).toBe(2);
    subject.clear();
    await subject.lookup('ha', db.find);
    expect(db.lookups).toBe(3);
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    const db = keyTable({ ha: alice, hb: bob });
    const { subject } = cache({ maxEntries: 1 });
    await subject.lookup('ha', db.find);
    await subject.lookup('hb', db.find);
    expect(subject.size).toBe(1);
    await subject.lookup('hb', db.find);
    expect(db.lookups).toBe(2);
    await subject.lookup('ha', db.find);
    expect(db.lookups).toBe(3);
  });

  it('is off with a time to live of 0', async () => {
    const db = keyTable({ ha: alice });
    const { subject } = cache({ ttlMs: 0 });
    await subject.lookup('ha', db.find);
    await subject.lookup('ha', db.find);
    expect([db.lookups, subject.size]).toEqual([2, 0]);
  });
});
