import pg from 'pg';

// Data for the console's long-list tests, written straight to the test database: thousands of
// rows the api would take minutes to accept one by one (as bench/src/fixtures.ts seeds reads).
// The console reads them back through the api like any other.

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** "Client 0042": the n-th most recently active help desk's client (1 is the newest). */
export const clientName = (n: number) => `Client ${String(n).padStart(4, '0')}`;
export const clientPhone = (n: number) => `5511${String(n).padStart(9, '0')}`;

/**
 * `count` open help desks of `organization`, each with its own client and one received message;
 * help desk n was last active n seconds before `newest`, so the list shows them as 1, 2, 3 …
 */
export async function seedHelpDesks(
  databaseUrl: string,
  organization: string,
  count: number,
  newest: Date,
): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `with org as (select id from organizations where name = $1),
       made_clients as (
         insert into clients (uuid, organization_id, name, phone, created_at, updated_at)
         select gen_random_uuid(), org.id, 'Client ' || lpad(g::text, 4, '0'), '5511' || lpad(g::text, 9, '0'),
                $3::timestamptz - make_interval(secs => g), $3::timestamptz - make_interval(secs => g)
         from org cross join generate_series(1, $2::int) as g
         returning id, organization_id, name, created_at
       ),
       made_desks as (
         insert into help_desks (uuid, organization_id, client_id, created_at, updated_at)
         select gen_random_uuid(), organization_id, id, created_at, created_at from made_clients
         returning id, organization_id, client_id, created_at
       )
       insert into messages (uuid, organization_id, help_desk_id, message, type, status, created_at, updated_at)
       select gen_random_uuid(), d.organization_id, d.id, 'Hello from ' || c.name, 'received', 'sent',
              d.created_at, d.created_at
       from made_desks d join made_clients c on c.id = d.client_id`,
      [organization, count, newest.toISOString()],
    );
    // Rows inserted by one statement are not visible to its own UPDATE: the last message is set
    // by a second one.
    await client.query(
      `update help_desks h set last_message_id = m.id
       from messages m
       where m.help_desk_id = h.id and h.organization_id = (select id from organizations where name = $1)`,
      [organization],
    );
  });
}

/** "Message 007": the n-th message of a seeded history (1 is the first). */
export const messageText = (n: number) => `Message ${String(n).padStart(3, '0')}`;

/**
 * `count` messages in one help desk, a second apart, received and sent in turn; some are a few
 * lines long, so rows differ in height as real ones do.
 */
export async function seedHistory(databaseUrl: string, helpDesk: string, count: number): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `with inserted as (
         insert into messages (uuid, organization_id, help_desk_id, message, type, status, created_at, updated_at)
         select gen_random_uuid(), h.organization_id, h.id,
                'Message ' || lpad(g::text, 3, '0') || repeat(' and a few more words', (g % 5) * 4),
                case when g % 2 = 0 then 'sent' else 'received' end, 'sent',
                now() - make_interval(secs => $2 - g), now() - make_interval(secs => $2 - g)
         from help_desks h cross join generate_series(1, $2::int) as g
         where h.uuid = $1
         order by g
         returning id, help_desk_id
       )
       update help_desks h set last_message_id = newest.id, updated_at = now()
       from (select help_desk_id, max(id) as id from inserted group by help_desk_id) as newest
       where h.id = newest.help_desk_id`,
      [helpDesk, count],
    );
  });
}
