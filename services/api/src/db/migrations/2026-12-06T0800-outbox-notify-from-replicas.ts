import { sql, type Kysely } from 'kysely';

// Frozen in time: written against Kysely<unknown>, imports no app code.

// Issue 12: the trigger of 2026-11-25T1100 made every transaction that adds events NOTIFY. A
// notifying transaction takes one lock for the whole Postgres instance from its commit until it
// ends (async.c: "Serialize writers by acquiring a special lock that we hold till after commit"),
// so every send-message of every replica committed, WAL flush included, one at a time. The api
// now tells the relay's leader itself, from a replica that does not lead, in a statement of its
// own that writes nothing (outbox-relay.ts); the leader publishes its own replica's commits
// without being told. Replicas of the previous release still count on the trigger while they run
// beside this one: their events reach the leader's poll (OUTBOX_POLL_INTERVAL_MS) instead.
const CHANNEL = 'helpdesk_outbox';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger outbox_events_notify on outbox_events`.execute(db);
  await sql`drop function outbox_events_notify()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
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
