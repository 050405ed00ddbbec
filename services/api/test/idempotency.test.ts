import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { pruneIdempotencyKeys } from '../src/db/idempotency.repository.js';
import { createOrganization } from '../../../test/organization.js';
import { asKey, useApi } from './api-harness.js';

// Issue 4, item 6: a retry with the same Idempotency-Key answers the first answer and creates nothing.

const api = useApi();

const send = (payload: object, key: string | undefined, headers: Record<string, string | undefined> = {}) =>
  api.app.inject({
    method: 'POST',
    url: '/api/send-message/',
    payload,
    headers: { ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers },
  });

async function messagesIn(helpDesk: string): Promise<number> {
  return (await api.app.inject({ url: `/api/help-desks/${helpDesk}/history/` })).json<unknown[]>().length;
}

describe('Idempotency-Key', () => {
  it('answers a retry with the first answer, and creates no message nor event again', async () => {
    const { helpDesk } = await createOrganization(api, 'idem');
    const payload = { message: 'once', help_desk: helpDesk.uuid };
    const first = await send(payload, 'key-1');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await api.traces();
    const retry = await send(payload, 'key-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(await api.traces()).toEqual(before);
    expect(await messagesIn(helpDesk.uuid)).toBe(1);

    expect((await send(payload, 'key-2')).json()).not.toEqual(first.json());
    expect((await send(payload, undefined)).statusCode).toBe(201);
    expect(await messagesIn(helpDesk.uuid)).toBe(3);
  });

  it('refuses the same key for another request, and a malformed key', async () => {
    const { helpDesk } = await createOrganization(api, 'idem-other');
    expect((await send({ message: 'a', help_desk: helpDesk.uuid }, 'k')).statusCode).toBe(201);
    const other = await send({ message: 'b', help_desk: helpDesk.uuid }, 'k');
    expect(other.statusCode).toBe(422);
    expect(other.json()).toEqual({ detail: 'This Idempotency-Key was already used with another request.' });
    const long = await send({ message: 'c', help_desk: helpDesk.uuid }, 'x'.repeat(256));
    expect(long.statusCode).toBe(400);
    expect(long.json()).toEqual({ detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters.' });
    expect(await messagesIn(helpDesk.uuid)).toBe(1);
  });

  it('keeps keys per API key', async () => {
    const { helpDesk, key } = await createOrganization(api, 'idem-keys');
    const payload = { message: 'same', help_desk: helpDesk.uuid };
    const byAdmin = await send(payload, 'shared');
    const byOrganization = await send(payload, 'shared', asKey(key));
    expect(byOrganization.statusCode).toBe(201);
    expect(byOrganization.json<{ uuid: string }>().uuid).not.toBe(byAdmin.json<{ uuid: string }>().uuid);
  });

  it('does not keep a failed answer: the corrected retry runs', async () => {
    const { helpDesk } = await createOrganization(api, 'idem-fail');
    const wrong = await send(
      { message: 'x', help_desk: '00000000-0000-4000-8000-000000000000' },
      'retry-after-failure',
    );
    expect(wrong.statusCode).toBe(400);
    const blank = await send({ message: ' ', help_desk: helpDesk.uuid }, 'retry-after-failure');
    expect(blank.statusCode).toBe(400);
    // Another request under the key is fine once the failed one left nothing behind.
    expect((await send({ message: 'x', help_desk: helpDesk.uuid }, 'retry-after-failure')).statusCode).toBe(201);
  });

  it('answers a retry whose body lists the same fields in another order', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'idem-order');
    const first = await send({ message: 'ordered', help_desk: helpDesk.uuid }, 'order');
    expect(first.statusCode).toBe(201);
    const retry = await send({ help_desk: helpDesk.uuid, message: 'ordered' }, 'order');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(await messagesIn(helpDesk.uuid)).toBe(1);

    // Nested objects too: receive-message's client.
    const receive = (payload: object) =>
      api.app.inject({
        method: 'POST',
        url: '/api/receive-message/',
        payload,
        headers: { 'idempotency-key': 'order-in' },
      });
    const received = await receive({ organization, client: { name: 'Bea', phone: '77' }, message: 'oi' });
    expect(received.statusCode).toBe(201);
    const again = await receive({ message: 'oi', client: { phone: '77', name: 'Bea' }, organization });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(received.body);
  });

  it('lets a retry take over a claim held past its lock, and the first request then creates nothing', async () => {
    const { helpDesk } = await createOrganization(api, 'idem-takeover');
    const payload = { message: 'slow', help_desk: helpDesk.uuid };
    // Holds the help desk's row, so each request stops inside its transaction, before it commits.
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    let locked!: () => void;
    const rowLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = api.app.db.transaction().execute(async (trx) => {
      await sql`select 1 from help_desks where uuid = ${helpDesk.uuid} for update`.execute(trx);
      locked();
      await blocked;
    });
    await rowLocked;
    const waitingOnLocks = async (count: number) => {
      for (;;) {
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like '%help_desks%'
        `.execute(api.app.db);
        if (Number(rows[0]?.n) >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const before = await api.traces();
    const slow = send(payload, 'takeover');
    await waitingOnLocks(1);
    // While the first request runs, a retry is told to come back later.
    const early = await send(payload, 'takeover');
    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({
      detail: 'A request with this Idempotency-Key is still in progress; retry later.',
    });
    // The first request's process looks dead: its lock period is over.
    await api.app.db
      .updateTable('idempotency_keys')
      .set({ locked_until: sql<string>`now() - interval '1 second'` })
      .where('key', '=', 'takeover')
      .execute();
    const retry = send(payload, 'takeover');
    await waitingOnLocks(2);
    unblock();
    await holder;

    const answers = await Promise.all([slow, retry]);
    // Whichever reaches its commit first, only the retry (the key's owner now) creates the message.
    expect(answers.map((a) => a.statusCode)).toEqual([409, 201]);
    expect(answers[0].json()).toEqual({
      detail: 'A retry took this Idempotency-Key over while the request was running; nothing was created.',
    });
    expect(await messagesIn(helpDesk.uuid)).toBe(1);
    // One message's events (new_message, update_helpdesk, update_message), not two.
    expect((await api.traces()).events.length - before.events.length).toBe(3);
    const later = await send(payload, 'takeover');
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(later.body).toBe(answers[1].body);
  });

  it('creates one message when retries race the first request', async () => {
    const { helpDesk } = await createOrganization(api, 'idem-race');
    const payload = { message: 'race', help_desk: helpDesk.uuid };
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(payload, 'race')));
    const statuses = answers.map((a) => a.statusCode).sort();
    // Each is the first answer, a replay of it, or "still in progress".
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = answers.filter((a) => a.statusCode === 201);
    expect(new Set(created.map((a) => a.body)).size).toBe(1);
    expect(await messagesIn(helpDesk.uuid)).toBe(1);
  });

  it('forgets a key once it expires', async () => {
    const { helpDesk } = await createOrganization(api, 'idem-expiry');
    const payload = { message: 'later', help_desk: helpDesk.uuid };
    await send(payload, 'old');
    await api.app.db
      .updateTable('idempotency_keys')
      .set({ expires_at: '2000-01-01T00:00:00Z' })
      .where('key', '=', 'old')
      .execute();
    await pruneIdempotencyKeys(api.app.db, 100);
    const kept = await api.app.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'old').execute();
    expect(kept).toEqual([]);
    const again = await send(payload, 'old');
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(await messagesIn(helpDesk.uuid)).toBe(2);
  });

  // During a rolling update the previous release's replicas claim keys without naming an owner.
  it("accepts a claim inserted without an owner, as the previous release's replicas insert it", async () => {
    const { id } = await api.app.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow();
    const row = await sql<{ owner: string }>`
      insert into idempotency_keys (api_key_id, key, fingerprint, locked_until, expires_at)
      values (${id}, 'previous-release', 'x', now(), now() + interval '1 hour')
      returning owner`.execute(api.app.db);
    expect(row.rows[0]?.owner).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('works on receive-message too', async () => {
    const { name: organization } = await createOrganization(api, 'idem-in');
    const payload = { organization, client: { name: 'Ana', phone: '1' }, message: 'oi' };
    const post = () =>
      api.app.inject({ method: 'POST', url: '/api/receive-message/', payload, headers: { 'idempotency-key': 'in-1' } });
    const first = await post();
    expect(first.statusCode).toBe(201);
    const retry = await post();
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(await messagesIn(first.json<{ help_desk: string }>().help_desk)).toBe(1);
  });
});
