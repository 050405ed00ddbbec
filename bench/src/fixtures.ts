// The data an end-to-end run needs, made through the api's own REST endpoints: organizations,
// one client and help desk per help desk wanted.

import { Pool } from 'undici';

async function postJson<T>(pool: Pool, path: string, body: unknown): Promise<T> {
  const response = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode !== 201)
    throw new Error(`POST ${path} answered ${response.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Help desk uuids per organization, in the order of `organizations`. */
export async function createFixtures(
  apiUrl: string,
  organizations: string[],
  helpDesksPerOrg: number,
): Promise<string[][]> {
  const pool = new Pool(apiUrl, { connections: 8 });
  try {
    const result: string[][] = [];
    for (const organization of organizations) {
      await postJson(pool, '/api/organizations/', { name: organization });
      const desks = await Promise.all(
        Array.from({ length: helpDesksPerOrg }, async (_, i) => {
          const client = await postJson<{ uuid: string }>(pool, '/api/clients/', {
            organization,
            name: `bench client ${i}`,
            phone: `555${i}`,
          });
          const desk = await postJson<{ uuid: string }>(pool, '/api/help-desks/', {
            organization,
            client: client.uuid,
          });
          return desk.uuid;
        }),
      );
      result.push(desks);
    }
    return result;
  } finally {
    await pool.close();
  }
}
