// The data a run needs: organizations and one client and help desk per help desk wanted, made
// through the api's own REST endpoints; for reads, histories written straight to the database.

import pg from 'pg';
import { Pool } from 'undici';

async function postJson<T>(pool: Pool, path: string, body: unknown, key: string): Promise<T> {
  const response = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode !== 201)
    throw new Error(`POST ${path} answered ${response.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export interface Fixtures {
  /** Help desk uuids per organization, in the order of `organizations`. */
  helpDesks: string[][];
  /** Each organization's own API key, in the same order: its POSTs use it, as its agents' apps would. */
  apiKeys: string[];
}

/** Organizations (as the administrator), then each one's key, clients and help desks (with its key). */
export async function createFixtures(
  apiUrl: string,
  adminToken: string,
  organizations: string[],
  helpDesksPerOrg: number,
): Promise<Fixtures> {
  const pool = new Pool(apiUrl, { connections: 8 });
  try {
    const result: Fixtures = { helpDesks: [], apiKeys: [] };
    for (const organization of organizations) {
      await postJson(pool, '/api/organizations/', { name: organization }, adminToken);
      const { key } = await postJson<{ key: string }>(
        pool,
        `/api/organizations/${organization}/api-keys/`,
        { name: 'bench' },
        adminToken,
      );
      const desks = await Promise.all(
        Array.from({ length: helpDesksPerOrg }, async (_, i) => {
          const client = await postJson<{ uuid: string }>(
            pool,
            '/api/clients/',
            {
              organization,
              name: `bench client ${i}`,
              phone: `555${i}`,
            },
            key,
          );
          const desk = await postJson<{ uuid: string }>(
            pool,
            '/api/help-desks/',
            {
              organization,
              client: client.uuid,
            },
            key,
          );
          return desk.uuid;
        }),
      );
      result.helpDesks.push(desks);
      result.apiKeys.push(key);
    }
    return result;
  } finally {
    await pool.close();
  }
}

/**
 * `perHelpDesk` messages in each help desk of `organizations`, alternately received and sent,
 * a second apart, each help desk's last message moved to its newest. Written straight to the
 * database in one statement: tens of thousands of rows the api would take minutes to accept, and
 * a reads run measures reading them, not how they were written.
 */
export async function seedHistories(
  databaseUrl: string,
  organizations: string[],
  perHelpDesk: number,
  textBytes: number,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `with inserted as (
         insert into messages (uuid, organization_id, help_desk_id, message, type, status, created_at, updated_at)
         select gen_random_uuid(), h.organization_id, h.id, 'history ' || g || ' ' || repeat('x', $3),
                case when g % 2 = 0 then 'sent' else 'received' end, 'sent',
                now() - make_interval(secs => $2 - g), now() - make_interval(secs => $2 - g)
         from help_desks h cross join generate_series(1, $2::int) as g
         where h.organization_id in (select id from organizations where name = any($1))
         order by h.id, g
         returning id, help_desk_id
       )
       update help_desks h set last_message_id = newest.id, updated_at = now()
       from (select help_desk_id, max(id) as id from inserted group by help_desk_id) as newest
       where h.id = newest.help_desk_id`,
      [organizations, perHelpDesk, Math.max(0, textBytes - 12)],
    );
  } finally {
    await client.end();
  }
}
