import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTicket } from '@helpdesk/shared';
import {
  asKey,
  createConversation,
  createOrganizationKey,
  multipartBody,
  startApi,
  type ApiHarness,
} from './api-harness.js';

// Keys, tenant isolation, socket tickets and hardening (issue: "nobody gets in where they don't
// belong"), on real Postgres and Redis.

let api: ApiHarness;
let mine: Awaited<ReturnType<typeof createConversation>>;
let theirs: Awaited<ReturnType<typeof createConversation>>;
let myKey: string;
let theirFileUrl: string;

beforeAll(async () => {
  api = await startApi();
  mine = await createConversation(api.app, 'mine');
  theirs = await createConversation(api.app, 'theirs');
  myKey = await createOrganizationKey(api.app, mine.organization);
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
});
afterAll(async () => {
  await api?.close();
});

/** Every route of the OpenAPI document, with its path parameters filled in. */
async function everyRoute(): Promise<Array<{ method: string; url: string }>> {
  const doc = (await api.app.inject({ url: '/api/schema/' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  const values: Record<string, string> = {
    uuid: mine.helpDesk.uuid,
    name: mine.organization,
    key: '0'.repeat(32),
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => ({
      method: method.toUpperCase(),
      url: path.replace(/\{(\w+)\}/g, (_m, param: string) => values[param] ?? 'x'),
    })),
  );
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
      url: `/api/organizations/${mine.organization}/api-keys/`,
      payload: { name: 'integration' },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json<{ uuid: string; name: string; key: string; created_at: string }>();
    expect(Object.keys(key)).toEqual(['uuid', 'name', 'key', 'created_at']);
    expect(key.key).toMatch(/^hdk_[A-Za-z0-9_-]{43}$/);

    const listed = await api.app.inject({ url: `/api/organizations/${mine.organization}/api-keys/` });
    expect(listed.body).not.toContain(key.key);
    expect(listed.json<Array<{ uuid: string }>>().map((k) => k.uuid)).toContain(key.uuid);

    const before = await api.app.inject({ url: '/api/organizations/', headers: asKey(key.key) });
    expect(before.statusCode).toBe(200);
    const revoked = await api.app.inject({
      method: 'DELETE',
      url: `/api/organizations/${mine.organization}/api-keys/${key.uuid}/`,
    });
    expect(revoked.statusCode).toBe(204);
    const after = await api.app.inject({ url: '/api/organizations/', headers: asKey(key.key) });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ detail: 'Invalid token.' });
    const again = await api.app.inject({
      method: 'DELETE',
      url: `/api/organizations/${mine.organization}/api-keys/${key.uuid}/`,
    });
    expect(again.statusCode).toBe(404);
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
      url: `/api/organizations/${mine.organization}/api-keys/`,
      payload: { name: 'more' },
      headers: asKey(myKey),
    });
    expect([keys.statusCode, keys.json()]).toEqual([403, forbidden]);
    const organizations = await api.app.inject({ url: '/api/organizations/', headers: asKey(myKey) });
    expect(organizations.json<Array<{ name: string }>>().map((o) => o.name)).toEqual([mine.organization]);
  });
});

describe('tenant isolation', () => {
  const notFound = { detail: 'Not found.' };

  it("another organization's objects answer 404 to an organization's key, as if they did not exist", async () => {
    const requests = [
      { method: 'GET', url: `/api/help-desks/?organization=${theirs.organization}` },
      { method: 'GET', url: `/api/help-desks/${theirs.helpDesk.uuid}/history/` },
      { method: 'GET', url: `/api/clients/?organization=${theirs.organization}` },
      { method: 'POST', url: '/api/clients/', payload: { organization: theirs.organization, name: 'x', phone: '1' } },
      {
        method: 'POST',
        url: '/api/help-desks/',
        payload: { organization: theirs.organization, client: theirs.client.uuid },
      },
      { method: 'POST', url: '/api/ws-tickets/', payload: { organization: theirs.organization } },
      { method: 'GET', url: theirFileUrl },
    ] as const;
    for (const request of requests) {
      const res = await api.app.inject({ ...request, headers: asKey(myKey) });
      expect({ url: request.url, status: res.statusCode, body: res.json<unknown>() }).toEqual({
        url: request.url,
        status: 404,
        body: notFound,
      });
      // And the same request for a name that does not exist at all answers identically.
    }
    const missing = await api.app.inject({ url: '/api/help-desks/?organization=nobody-here', headers: asKey(myKey) });
    expect([missing.statusCode, missing.json()]).toEqual([404, notFound]);
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
      url: `/api/help-desks/?organization=${mine.organization}`,
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
      payload: { organization: mine.organization },
      headers: asKey(myKey),
    });
    expect(res.statusCode).toBe(201);
    const ticket = res.json<{ token: string; expires_at: string }>();
    expect(Object.keys(ticket)).toEqual(['token', 'expires_at']);
    expect(ticket.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    const expiresIn = Date.parse(ticket.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(50_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);
    const check = verifyTicket(api.secretKey, ticket.token, mine.organization);
    expect(check.ok).toBe(true);
    expect(verifyTicket(api.secretKey, ticket.token, theirs.organization)).toEqual({
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
      await limited.app.inject({ method: 'POST', url: '/api/organizations/', payload: { name: 'rl-org' } });
      const orgKey = await createOrganizationKey(limited.app, 'rl-org');
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
