// The data a deployment run needs, made or found through the deployment's REST API with an
// administrator key: the organizations <prefix>-0 … <prefix>-(K-1) (created when missing, reused
// when there), a key of each for this run (revoked again at its end), and H help desks in each
// (the ones it already has first, new clients and help desks for the rest).

import { Pool } from 'undici';

async function call<T>(pool: Pool, method: 'GET' | 'POST' | 'DELETE', path: string, key: string, body?: unknown) {
  const response = await pool.request({
    method,
    path,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: (text ? JSON.parse(text) : undefined) as T, text };
}

export interface DeploymentFixtures {
  organizations: string[];
  /** Help desk uuids per organization, in the order of `organizations`. */
  helpDesks: string[][];
  /** This run's key of each organization, same order. */
  apiKeys: string[];
  /** What was created (so the report can say), and the keys to revoke afterwards. */
  createdOrganizations: number;
  createdHelpDesks: number;
  keyIds: string[];
}

export async function ensureDeploymentFixtures(
  apiUrl: string,
  adminKey: string,
  organizations: string[],
  helpDesksPerOrg: number,
): Promise<DeploymentFixtures> {
  const pool = new Pool(apiUrl, { connections: 8 });
  const fixtures: DeploymentFixtures = {
    organizations,
    helpDesks: [],
    apiKeys: [],
    createdOrganizations: 0,
    createdHelpDesks: 0,
    keyIds: [],
  };
  const expect = (what: string, answer: { status: number; text: string }, ...ok: number[]) => {
    if (!ok.includes(answer.status)) throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  };
  try {
    for (const organization of organizations) {
      const created = await call(pool, 'POST', '/api/organizations/', adminKey, { name: organization });
      // 400 on `name`: it exists already (the name is unique), and is reused.
      const exists = created.status === 400 && /name/.test(created.text);
      if (!exists) {
        expect(`POST /api/organizations/ (${organization})`, created, 201);
        fixtures.createdOrganizations++;
      }
      const key = await call<{ key: string; uuid: string }>(
        pool,
        'POST',
        `/api/organizations/${organization}/api-keys/`,
        adminKey,
        { name: 'load test' },
      );
      expect(`POST /api/organizations/${organization}/api-keys/`, key, 201);
      fixtures.apiKeys.push(key.body.key);
      fixtures.keyIds.push(key.body.uuid);

      const listed = await call<unknown>(pool, 'GET', `/api/help-desks/?organization=${organization}`, key.body.key);
      expect(`GET /api/help-desks/?organization=${organization}`, listed, 200);
      const existing = (Array.isArray(listed.body) ? (listed.body as Array<{ uuid: string }>) : []).map((d) => d.uuid);
      const desks = existing.slice(0, helpDesksPerOrg);
      for (let i = desks.length; i < helpDesksPerOrg; i++) {
        const client = await call<{ uuid: string }>(pool, 'POST', '/api/clients/', key.body.key, {
          organization,
          name: `load test client ${i}`,
          phone: `555${i}`,
        });
        expect('POST /api/clients/', client, 201);
        const desk = await call<{ uuid: string }>(pool, 'POST', '/api/help-desks/', key.body.key, {
          organization,
          client: client.body.uuid,
        });
        expect('POST /api/help-desks/', desk, 201);
        desks.push(desk.body.uuid);
        fixtures.createdHelpDesks++;
      }
      fixtures.helpDesks.push(desks);
    }
    return fixtures;
  } finally {
    await pool.close();
  }
}

/** Revokes the keys this run made (their sockets are closed by then). */
export async function revokeRunKeys(apiUrl: string, adminKey: string, fixtures: DeploymentFixtures): Promise<void> {
  const pool = new Pool(apiUrl, { connections: 4 });
  try {
    for (const [i, organization] of fixtures.organizations.entries()) {
      const id = fixtures.keyIds[i];
      if (id === undefined) continue;
      await call(pool, 'DELETE', `/api/organizations/${organization}/api-keys/${id}/`, adminKey);
    }
  } finally {
    await pool.close();
  }
}
