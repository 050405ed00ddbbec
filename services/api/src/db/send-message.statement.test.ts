import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, fileUrl, serializeHelpDesk, serializeMessage } from '@helpdesk/shared';
import { createTestDatabase } from '../../../../test/test-env.js';
import { openDatabase } from './database.js';
import { sendMessageStatement, type SendMessageInput } from './send-message.statement.js';
import type { DB } from './tables.js';

// The one-statement send writes the events' JSON in SQL: it must be, byte for byte, what
// packages/shared encodes for the same rows, in any time zone and for any text.

const BASE = 'https://chat.example.com';
const TRICKY = 'aspas "duplas", barra \\ e /, tab\t, linha\nnova, \u0001, acentuação, 日本語, emoji 🎉, </script>';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase();
});

async function conversation(db: Kysely<DB>, opts: { webhook?: boolean } = {}) {
  const { rows } = await sql<{ org: string; hd: string; hd_uuid: string }>`
    with o as (insert into organizations (uuid, name) values (${randomUUID()}, ${`org-${randomUUID()}`}) returning id),
    c as (insert into clients (uuid, organization_id, name, phone) select ${randomUUID()}, id, ${TRICKY}, '+55 11 "9"' from o returning id, organization_id),
    h as (insert into help_desks (uuid, organization_id, client_id) select ${randomUUID()}, organization_id, id from c returning id, uuid, organization_id)
    select organization_id as org, id as hd, uuid as hd_uuid from h`.execute(db);
  const ids = rows[0]!;
  if (opts.webhook === true)
    await sql`insert into organization_webhooks (organization_id, url, secret) values (${ids.org}, 'https://hook.example.com', 'x')`.execute(
      db,
    );
  return ids;
}

function input(helpDeskUuid: string, organizationId: string | null, withFile: boolean): SendMessageInput {
  const file = withFile
    ? { key: 'k'.repeat(32), name: 'relatório "final" #1.pdf', contentType: 'application/pdf', size: 12 }
    : null;
  return {
    uuid: randomUUID(),
    helpDeskUuid,
    organizationId,
    message: TRICKY,
    file,
    fileUrl: file === null ? null : fileUrl(BASE, file.key, file.name),
    fileBaseUrl: BASE,
  };
}

async function outbox(db: Kysely<DB>, organizationId: string) {
  const { rows } = await sql<{ id: string; name: string; seq: string; payload: string }>`
    select id, organization_name as name, seq, payload from outbox_events
    where organization_id = ${organizationId} order by id`.execute(db);
  return rows;
}

/** Other sessions of this database that wait for a lock. */
async function backendsWaitingOnALock(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`.execute(db);
  return Number(rows[0]!.n);
}

describe('the one-statement send', () => {
  for (const timeZone of ['UTC', 'America/Sao_Paulo', 'Asia/Kolkata']) {
    it(`stores the events packages/shared encodes, byte for byte (${timeZone})`, async () => {
      const db = await openDatabase({ kind: 'postgres', url, poolSize: 2, preparedStatements: true }, timeZone);
      try {
        for (const withFile of [false, true]) {
          const { org, hd_uuid } = await conversation(db);
          const sent = (await sendMessageStatement(db, input(hd_uuid, org, withFile)))!;
          const asCreated = { ...sent.message, status: 'sending' as const, updated_at: sent.message.created_at };
          const expected = [
            encodeEnvelope('new_message', serializeMessage(asCreated, BASE), 1),
            encodeEnvelope(
              'update_helpdesk',
              serializeHelpDesk({ ...sent.helpDesk, last_message: asCreated }, BASE),
              2,
            ),
            encodeEnvelope('update_message', serializeMessage(sent.message, BASE), 3),
          ];
          const stored = await outbox(db, org);
          expect(stored.map(({ seq, payload }) => ({ seq, payload }))).toEqual(
            expected.map((payload, i) => ({ seq: String(i + 1), payload })),
          );
          // What the relay is handed is what the outbox holds, so it can publish without reading back.
          expect(sent.events).toEqual(
            stored.map((row) => ({
              id: row.id,
              organizationName: row.name,
              seq: Number(row.seq),
              payload: row.payload,
            })),
          );
          expect(serializeMessage(sent.message, BASE).message).toBe(TRICKY);
        }
      } finally {
        await db.destroy();
      }
    });
  }

  it('with a webhook: stored sending, two events, a delivery queued', async () => {
    const db = await openDatabase({ kind: 'postgres', url, poolSize: 2, preparedStatements: true }, 'UTC');
    try {
      const { org, hd_uuid } = await conversation(db, { webhook: true });
      const sent = (await sendMessageStatement(db, input(hd_uuid, null, true)))!;
      expect([sent.hasWebhook, sent.message.status, sent.message.updated_at]).toEqual([
        true,
        'sending',
        sent.message.created_at,
      ]);
      const stored = serializeMessage(sent.message, BASE);
      expect((await outbox(db, org)).map(({ seq, payload }) => ({ seq, payload }))).toEqual([
        { seq: '1', payload: encodeEnvelope('new_message', stored, 1) },
        {
          seq: '2',
          payload: encodeEnvelope('update_helpdesk', serializeHelpDesk(sent.helpDesk, BASE), 2),
        },
      ]);
      expect(sent.events.map((event) => event.seq)).toEqual([1, 2]);
      const { rows } = await sql<{ message_id: string; file_base_url: string }>`
        select message_id, file_base_url from webhook_deliveries where organization_id = ${org}`.execute(db);
      expect(rows).toEqual([{ message_id: sent.messageId, file_base_url: BASE }]);
    } finally {
      await db.destroy();
    }
  });

  it("writes nothing to another organization's help desk, nor to one that does not exist", async () => {
    const db = await openDatabase({ kind: 'postgres', url, poolSize: 2, preparedStatements: true }, 'UTC');
    try {
      const mine = await conversation(db);
      const theirs = await conversation(db);
      expect(await sendMessageStatement(db, input(theirs.hd_uuid, mine.org, false))).toBeUndefined();
      expect(await sendMessageStatement(db, input(randomUUID(), null, false))).toBeUndefined();
      const { rows } = await sql<{ n: string }>`
        select (select count(*) from messages where help_desk_id = ${theirs.hd})
             + (select count(*) from outbox_events where organization_id = ${theirs.org}) as n`.execute(db);
      expect(rows[0]!.n).toBe('0');
    } finally {
      await db.destroy();
    }
  });

  // Against a writer that locks the help desk, then the organization (a help-desk status change
  // does): the statement must lock in the same order, or the two deadlock.
  it('waits for the help desk instead of deadlocking', async () => {
    const db = await openDatabase({ kind: 'postgres', url, poolSize: 2, preparedStatements: true }, 'UTC');
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const { org, hd, hd_uuid } = await conversation(db);
      // The other writer: help desk first…
      await other.query('begin');
      await other.query('set local lock_timeout = 5000');
      await other.query('select id from help_desks where id = $1 for update', [hd]);
      const sending = sendMessageStatement(db, input(hd_uuid, org, false));
      // The send is now blocked on that row lock (seen from a third connection: a transaction
      // sees pg_stat_activity as it was when it first looked).
      await expect.poll(() => backendsWaitingOnALock(db), { timeout: 5000, interval: 20 }).toBe(1);
      // …then the organization: free, because the send waits on the help desk holding nothing.
      await other.query('update organizations set event_seq = event_seq + 1 where id = $1', [org]);
      await other.query('commit');
      const sent = await sending;
      expect(sent?.events.map((event) => event.seq)).toEqual([2, 3, 4]);
      expect(sent?.helpDesk.last_message?.message).toBe(TRICKY);
    } finally {
      await other.end();
      await db.destroy();
    }
  });
});
