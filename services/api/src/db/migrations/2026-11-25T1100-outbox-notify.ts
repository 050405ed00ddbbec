import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

// The channel the outbox relay LISTENs on. A trigger (not the app) sends it, so no writer can
// forget to, and it costs no extra round trip: Postgres delivers it at commit, once per
// transaction however many events it added, and never for a transaction that rolls back.
const CHANNEL = 'helpdesk_outbox';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function outbox_events_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify(${sql.lit(CHANNEL)}, '');
      return null;
    end
    $$
  `.execute(db);
  await sql`
    create trigger outbox_events_notify after insert on outbox_events
    for each statement execute function outbox_events_notify()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger outbox_events_notify on outbox_events`.execute(db);
  await sql`drop function outbox_events_notify()`.execute(db);
}
