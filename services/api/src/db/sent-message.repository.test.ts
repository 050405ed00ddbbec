import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/test-env.js';
import { openDatabase } from './database.js';
import { insertSentMessage } from './sent-message.repository.js';

// The one-statement send against a writer that locks the help desk, then the organization (a
// help-desk status change does): the statement must lock in the same order, or the two deadlock.
describe('insertSentMessage beside a help-desk status change', () => {
  it('waits for the help desk instead of deadlocking', async () => {
    const url = await createTestDatabase();
    const db = await openDatabase({ kind: 'postgres', url, poolSize: 2, preparedStatements: true }, 'UTC');
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const ids = await sql<{ org: string; hd: string; hd_uuid: string }>`
        with o as (insert into organizations (uuid, name) values (${randomUUID()}, 'locks') returning id),
        c as (insert into clients (uuid, organization_id, name, phone) select ${randomUUID()}, id, 'Ana', '5511' from o returning id, organization_id),
        h as (insert into help_desks (uuid, organization_id, client_id) select ${randomUUID()}, organization_id, id from c returning id, uuid, organization_id)
        select organization_id as org, id as hd, uuid as hd_uuid from h`.execute(db);
      const { org, hd, hd_uuid } = ids.rows[0]!;

      // The other writer: help desk first…
      await other.query('begin');
      await other.query('set local lock_timeout = 5000');
      await other.query('select id from help_desks where id = $1 for update', [hd]);
      const sending = db.transaction().execute((trx) =>
        insertSentMessage(trx, {
          uuid: randomUUID(),
          helpDeskUuid: hd_uuid,
          organizationId: org,
          message: 'hello',
          file: null,
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      // …then the organization: free, because the send waits on the help desk holding nothing.
      await other.query('update organizations set event_seq = event_seq + 1 where id = $1', [org]);
      await other.query('commit');
      const sent = await sending;
      expect(sent?.lastEventId).toBe(4);
      expect(sent?.helpDesk.last_message?.message).toBe('hello');
    } finally {
      await other.end();
      await db.destroy();
    }
  });
});
