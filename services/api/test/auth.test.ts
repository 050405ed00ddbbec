import { randomBytes, randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyTicket } from '@helpdesk/shared';
import {
  createOrganization,
  createOrganizationKey,
  createOrganizationWithKey,
  uniqueName,
  type TestOrganization,
} from '../../../test/organization.js';
import { asKey, multipartBody, startApi, type ApiHarness } from './api-harness.js';

// Keys, tenant isolation, socket tickets and hardening (issue: "nobody gets in where they don't
// belong"), on real Postgres and Redis.

let api: ApiHarness;
let mine: TestOrganization;
let theirs: TestOrganization;
let myKey: string;
let theirKey: string;
let theirFileUrl: string;
let theirMessage: string;

beforeAll(async () => {
  api = await startApi();
  mine = await createOrganization(api, 'mine');
  theirs = await createOrganization(api, 'theirs');
  myKey = mine.key;
  theirKey = theirs.key;
  const upload = multipartBody([
    { name: 'help_desk', value: theirs.helpDesk.uuid },
    { name: 'file', value: Buffer.from('their secret bytes'), filename: 'secret.txt', contentType: 'text/plain' },
  ]);
  const sent = await api.app.inject({
    method: 'POST',
    url: '/api/send-message/',
    payload: upload.payload,
    headers: upload.headers,
  });
  expect(sent.statusCode).toBe(201);
  theirFileUrl = new URL(sent.json<{ file: string }>().file).pathname;
  theirMessage = sent.json<{ uuid: string }>().uuid;
});
afterAll(async () => {
  await api?.close();
});

/** Every route of the OpenAPI document, with its path parameters filled in. */
async function everyRoute(harness: ApiHarness = api): Promise<Array<{ method: string; url: string }>> {
  const doc = (await harness.app.inject({ url: '/api/schema/' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  const values: Record<string, string> = {
    uuid: mine.helpDesk.uuid,
    name: mine.name,
    key: '0'.repeat(32),
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => ({
      method: method.toUpperCase(),
      url: path.replace(/\{(\w+)\}/g, (_m, param: string) => values[param] ?? 'x'),
    })),
  );
}

/** Sends the key to every route of the document: each must answer 401 "Invalid token." */
async function expectRefusedOnEveryRoute(harness: ApiHarness, key: string): Promise<void> {
  const routes = await everyRoute(harness);
  expect(routes.length).toBeGreaterThanOrEqual(10);
  for (const route of routes) {
    const res = await harness.app.inject({ method: route.method as 'GET', url: route.url, headers: asKey(key) });
    expect({ ...route, status: res.statusCode, body: res.json<unknown>() }).toEqual({
      ...route,
      status: 401,
      body: { detail: 'Invalid token.' },
    });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  }
}

describe('API keys', () => {
  it('every route refuses a request without a key, or with a malformed or unknown one: 401 {"detail"}', async () => {
    const routes = await everyRoute();
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const route of routes) {
      for (const [authorization, detail] of [
        [undefined, 'Authentication credentials were not provided.'],
        ['Token abc', 'Invalid token header. Use "Authorization: Bearer <key>".'],
        [`Bearer hdk_${'A'.repeat(43)}`, 'Invalid token.'],
      ] as const) {
        const res = await api.app.inject({ method: route.method as 'GET', url: route.url, headers: { authorization } });
        expect({ ...route, authorization, status: res.statusCode, body: res.json<unknown>() }).toEqual({
          ...route,
          authorization,
          status: 401,
          body: { detail },
        });
        expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      }
    }
  });

  it('health and the OpenAPI document stay public', async () => {
    for (const url of ['/healthz', '/readyz', '/api/schema/', '/api/schema/docs']) {
      const res = await api.app.inject({ url, headers: { authorization: undefined } });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    }
  });

  it('are shown once, listed without the secret, and revoked at once', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: `/api/organizations/${mine.name}/api-keys/`,
      payload: { name: 'integration' },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json<{ uuid: string; name: string; key: string; created_at: string }>();
    expect(Object.keys(key)).toEqual(['uuid', 'name', 'key', 'created_at']);
    expect(key.key).toMatch(/^hdk_[A-Za-z0-9_-]{43}$/);

    const listed = await api.app.inject({ url: `/api/organizations/${mine.name}/api-keys/` });
    expect(listed.body).not.toContain(key.key);
    expect(listed.json<Array<{ uuid: string }>>().map((k) => k.uuid)).toContain(key.uuid);

    const before = await api.app.inject({ url: '/api/organizations/', headers: asKey(key.key) });
    expect(before.statusCode).toBe(200);
    const revoked = await api.app.inject({
      method: 'DELETE',
      url: `/api/organizations/${mine.name}/api-keys/${key.uuid}/`,
    });
    expect(revoked.statusCode).toBe(204);
    const after = await api.app.inject({ url: '/api/organizations/', headers: asKey(key.key) });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ detail: 'Invalid token.' });
    const again = await api.app.inject({
      method: 'DELETE',
      url: `/api/organizations/${mine.name}/api-keys/${key.uuid}/`,
    });
    expect(again.statusCode).toBe(404);
  });

  it('a revoked organization key is refused on every route: 401 {"detail"}', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: `/api/organizations/${mine.name}/api-keys/`,
      payload: { name: 'to revoke' },
    });
    expect(created.statusCode).toBe(201);
    const { uuid, key } = created.json<{ uuid: string; key: string }>();
    // It worked before: a refusal below is the revocation's doing, not a bad key.
    const before = await api.app.inject({
      url: `/api/help-desks/?organization=${mine.name}`,
      headers: asKey(key),
    });
    expect(before.statusCode).toBe(200);
    const revoked = await api.app.inject({
      method: 'DELETE',
      url: `/api/organizations/${mine.name}/api-keys/${uuid}/`,
    });
    expect(revoked.statusCode).toBe(204);
    await expectRefusedOnEveryRoute(api, key);
  });

  it('a key revoked through one api replica is refused at once by another, on every route', async () => {
    // Same database and administrator key: a second replica of the same deployment.
    const replica = await startApi({
      DATABASE_URL: api.databaseUrl,
      REDIS_PREFIX: api.prefix,
      ADMIN_TOKEN: api.adminToken,
    });
    try {
      const key = await createOrganizationKey(api, mine.name, 'replicated');
      const listed = await api.app.inject({ url: `/api/organizations/${mine.name}/api-keys/` });
      const { uuid } = listed.json<Array<{ uuid: string; name: string }>>().find((k) => k.name === 'replicated')!;
      const before = await replica.app.inject({ url: '/api/organizations/', headers: asKey(key) });
      expect([before.statusCode, before.json<Array<{ name: string }>>().map((o) => o.name)]).toEqual([
        200,
        [mine.name],
      ]);
      // The replica now serves the key from its cache, without the database: only the
      // revocation heard on the bus can stop it there. It caches only once it hears the
      // revocation channel, which a loaded machine may take a moment to confirm.
      await vi.waitFor(async () => {
        await replica.app.inject({ url: '/api/organizations/', headers: asKey(key) });
        expect(replica.app.keyOwners.size).toBeGreaterThan(0);
      });
      const revoked = await api.app.inject({
        method: 'DELETE',
        url: `/api/organizations/${mine.name}/api-keys/${uuid}/`,
      });
      expect(revoked.statusCode).toBe(204);
      await expectRefusedOnEveryRoute(replica, key);
    } finally {
      await replica.close();
    }
  });

  it("administration needs an administrator's key: 403 for an organization's", async () => {
    const forbidden = { detail: 'You do not have permission to perform this action.' };
    const create = await api.app.inject({
      method: 'POST',
      url: '/api/organizations/',
      payload: { name: 'sneaky' },
      headers: asKey(myKey),
    });
    expect([create.statusCode, create.json()]).toEqual([403, forbidden]);
    const keys = await api.app.inject({
      method: 'POST',
      url: `/api/organizations/${mine.name}/api-keys/`,
      payload: { name: 'more' },
      headers: asKey(myKey),
    });
    expect([keys.statusCode, keys.json()]).toEqual([403, forbidden]);
    const organizations = await api.app.inject({ url: '/api/organizations/', headers: asKey(myKey) });
    expect(organizations.json<Array<{ name: string }>>().map((o) => o.name)).toEqual([mine.name]);
  });
});

/** An organization's objects as its administrator reads them, to compare before and after. */
async function whatTheAdministratorSees(organization: string): Promise<Record<string, unknown>> {
  const read = async (url: string) => {
    const res = await api.app.inject({ url });
    return { status: res.statusCode, body: res.json<unknown>() };
  };
  const helpDesks = await read(`/api/help-desks/?organization=${organization}`);
  const histories = await Promise.all(
    (helpDesks.body as Array<{ uuid: string }>).map((h) => read(`/api/help-desks/${h.uuid}/history/`)),
  );
  return {
    helpDesks,
    histories,
    clients: await read(`/api/clients/?organization=${organization}`),
    keys: await read(`/api/organizations/${organization}/api-keys/`),
    webhook: await read(`/api/organizations/${organization}/webhook/`),
  };
}

describe('tenant isolation', () => {
  it("every object route answers another organization's objects as missing ones, and writes nothing", async () => {
    const nobody = uniqueName('nobody');
    const unknownUuid = randomUUID();
    const unknownFileUrl = `/api/files/${randomBytes(16).toString('hex')}/secret.txt`;
    const forbidden = { detail: 'You do not have permission to perform this action.' };
    const notFound = { detail: 'Not found.' };
    const noSuchPk = (field: string, pk: string) => ({ [field]: [`Invalid pk "${pk}" - object does not exist.`] });
    type Request = Pick<InjectOptions, 'method' | 'url' | 'payload'>;
    // Each request on the other organization's object, beside the same request on one that does
    // not exist: both must answer exactly the same, so the key learns nothing of what exists.
    const walk: Array<{ theirs: Request; missing: Request; status: number; body: (missing: boolean) => unknown }> = [
      {
        theirs: { method: 'GET', url: `/api/help-desks/?organization=${theirs.name}` },
        missing: { method: 'GET', url: `/api/help-desks/?organization=${nobody}` },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: { method: 'GET', url: `/api/help-desks/${theirs.helpDesk.uuid}/history/` },
        missing: { method: 'GET', url: `/api/help-desks/${unknownUuid}/history/` },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: { method: 'PATCH', url: `/api/help-desks/${theirs.helpDesk.uuid}/`, payload: { status: 'closed' } },
        missing: { method: 'PATCH', url: `/api/help-desks/${unknownUuid}/`, payload: { status: 'closed' } },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: { method: 'PATCH', url: `/api/messages/${theirMessage}/`, payload: { status: 'delivered' } },
        missing: { method: 'PATCH', url: `/api/messages/${unknownUuid}/`, payload: { status: 'delivered' } },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: { method: 'GET', url: theirFileUrl },
        missing: { method: 'GET', url: unknownFileUrl },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: { method: 'POST', url: '/api/ws-tickets/', payload: { organization: theirs.name } },
        missing: { method: 'POST', url: '/api/ws-tickets/', payload: { organization: nobody } },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: { method: 'GET', url: `/api/clients/?organization=${theirs.name}` },
        missing: { method: 'GET', url: `/api/clients/?organization=${nobody}` },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: {
          method: 'POST',
          url: '/api/clients/',
          payload: { organization: theirs.name, name: 'x', phone: '1' },
        },
        missing: { method: 'POST', url: '/api/clients/', payload: { organization: nobody, name: 'x', phone: '1' } },
        status: 404,
        body: () => notFound,
      },
      {
        theirs: {
          method: 'POST',
          url: '/api/help-desks/',
          payload: { organization: theirs.name, client: theirs.client.uuid },
        },
        missing: { method: 'POST', url: '/api/help-desks/', payload: { organization: nobody, client: unknownUuid } },
        status: 404,
        body: () => notFound,
      },
      {
        // Their client, in a help desk of my organization: an unknown client.
        theirs: {
          method: 'POST',
          url: '/api/help-desks/',
          payload: { organization: mine.name, client: theirs.client.uuid },
        },
        missing: {
          method: 'POST',
          url: '/api/help-desks/',
          payload: { organization: mine.name, client: unknownUuid },
        },
        status: 400,
        body: (missing) => noSuchPk('client', missing ? unknownUuid : theirs.client.uuid),
      },
      {
        theirs: {
          method: 'POST',
          url: '/api/receive-message/',
          payload: { organization: theirs.name, client: { name: 'Intruder', phone: '5500' }, message: 'hi' },
        },
        missing: {
          method: 'POST',
          url: '/api/receive-message/',
          payload: { organization: nobody, client: { name: 'Intruder', phone: '5500' }, message: 'hi' },
        },
        status: 404,
        body: () => notFound,
      },
      {
        // As the contract answers an unknown help desk: a field error, not 404.
        theirs: {
          method: 'POST',
          url: '/api/send-message/',
          payload: { message: 'hi', help_desk: theirs.helpDesk.uuid },
        },
        missing: { method: 'POST', url: '/api/send-message/', payload: { message: 'hi', help_desk: unknownUuid } },
        status: 400,
        body: (missing) => noSuchPk('help_desk', missing ? unknownUuid : theirs.helpDesk.uuid),
      },
      // Administration needs an administrator's key whatever the organization: 403 before any
      // lookup, so it confirms nothing either.
      ...[
        { method: 'GET', path: 'api-keys/' },
        { method: 'POST', path: 'api-keys/', payload: { name: 'mine now' } },
        { method: 'GET', path: 'webhook/' },
        { method: 'PUT', path: 'webhook/', payload: { url: 'https://evil.example/hook', secret: 's'.repeat(16) } },
        { method: 'DELETE', path: 'webhook/' },
      ].map(({ method, path, payload }) => ({
        theirs: { method, url: `/api/organizations/${theirs.name}/${path}`, payload },
        missing: { method, url: `/api/organizations/${nobody}/${path}`, payload },
        status: 403,
        body: () => forbidden,
      })),
    ];

    const theirKeyUuid = (await api.app.inject({ url: `/api/organizations/${theirs.name}/api-keys/` })).json<
      Array<{ uuid: string }>
    >()[0]!.uuid;
    walk.push({
      theirs: { method: 'DELETE', url: `/api/organizations/${theirs.name}/api-keys/${theirKeyUuid}/` },
      missing: { method: 'DELETE', url: `/api/organizations/${nobody}/api-keys/${unknownUuid}/` },
      status: 403,
      body: () => forbidden,
    });

    const beforeTraces = await api.traces();
    const beforeSeen = await whatTheAdministratorSees(theirs.name);
    for (const step of walk) {
      for (const [missing, request] of [
        [false, step.theirs],
        [true, step.missing],
      ] as const) {
        const res = await api.app.inject({ ...request, headers: asKey(myKey) });
        expect({ ...request, status: res.statusCode, body: res.json<unknown>() }).toEqual({
          ...request,
          status: step.status,
          body: step.body(missing),
        });
      }
    }
    expect(await api.traces()).toEqual(beforeTraces);
    expect(await whatTheAdministratorSees(theirs.name)).toEqual(beforeSeen);
    // Their key still works: my key's DELETE revoked nothing.
    const stillTheirs = await api.app.inject({ url: '/api/organizations/', headers: asKey(theirKey) });
    expect([stillTheirs.statusCode, stillTheirs.json()]).toMatchObject([200, [{ name: theirs.name }]]);
  });

  it("sending to another organization's help desk is refused like an unknown one, and writes nothing", async () => {
    const before = await api.traces();
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/send-message/',
      payload: { message: 'hi', help_desk: theirs.helpDesk.uuid },
      headers: asKey(myKey),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ help_desk: [`Invalid pk "${theirs.helpDesk.uuid}" - object does not exist.`] });
    expect(await api.traces()).toEqual(before);
  });

  it('its own objects work with its key', async () => {
    const list = await api.app.inject({
      url: `/api/help-desks/?organization=${mine.name}`,
      headers: asKey(myKey),
    });
    expect(list.statusCode).toBe(200);
    const sent = await api.app.inject({
      method: 'POST',
      url: '/api/send-message/',
      payload: { message: 'hello', help_desk: mine.helpDesk.uuid },
      headers: asKey(myKey),
    });
    expect(sent.statusCode).toBe(201);
  });
});

describe('socket tickets', () => {
  it('are short-lived, signed for the organization, and verifiable with SECRET_KEY alone', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/ws-tickets/',
      payload: { organization: mine.name },
      headers: asKey(myKey),
    });
    expect(res.statusCode).toBe(201);
    const ticket = res.json<{ token: string; expires_at: string }>();
    expect(Object.keys(ticket)).toEqual(['token', 'expires_at']);
    expect(ticket.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    const expiresIn = Date.parse(ticket.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(50_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);
    const check = verifyTicket(api.secretKey, ticket.token, mine.name);
    expect(check.ok).toBe(true);
    expect(verifyTicket(api.secretKey, ticket.token, theirs.name)).toEqual({
      ok: false,
      reason: 'wrong-organization',
    });
  });
});

describe('hardening', () => {
  it('answers with security headers, and no CORS access unless configured', async () => {
    const res = await api.app.inject({ url: '/api/organizations/', headers: { origin: 'https://evil.example' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves files as attachments with a safe type', async () => {
    const res = await api.app.inject({ url: theirFileUrl });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.body).toBe('their secret bytes');
  });
});

describe('limits', () => {
  it('rate-limits per key: 429 {"detail"} with Retry-After, other keys unaffected', async () => {
    const limited = await startApi({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '60' });
    try {
      // The administrator spends 2 of its 5: an organization and a key for it.
      const { key: orgKey } = await createOrganizationWithKey(limited, 'rl-org');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        statuses.push((await limited.app.inject({ url: '/api/organizations/', headers: asKey(orgKey) })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const res = await limited.app.inject({ url: '/api/organizations/', headers: asKey(orgKey) });
      expect(res.statusCode).toBe(429);
      expect(res.json<{ detail: string }>().detail).toMatch(
        /^Request was throttled\. Expected available in \d+ seconds\.$/,
      );
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.app.inject({ url: '/api/organizations/' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('a CORS allowlist lets exactly the configured origins in', async () => {
    const withCors = await startApi({ CORS_ORIGINS: 'https://agents.example' });
    try {
      const allowed = await withCors.app.inject({
        url: '/api/organizations/',
        headers: { origin: 'https://agents.example' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://agents.example');
      const other = await withCors.app.inject({
        url: '/api/organizations/',
        headers: { origin: 'https://evil.example' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await withCors.app.inject({
        method: 'OPTIONS',
        url: '/api/send-message/',
        headers: {
          origin: 'https://agents.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
          authorization: undefined,
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://agents.example');
    } finally {
      await withCors.close();
    }
  });
});
