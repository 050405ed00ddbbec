// The data an end-to-end run needs, made through the api's own REST endpoints: organizations,
// one client and help desk per help desk wanted.

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
