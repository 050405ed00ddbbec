import { encodeKeyRevoked, keyRevocationsChannel, verifyTicket } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { createOrganizationWithKey } from '../../../test/organization.js';
import { asKey, startApi, useApi } from './api-harness.js';

// Administrator keys are keys like the organizations': listed, created and revoked by an
// administrator; ADMIN_TOKEN rotates by setting a new value, then revoking the old one. A revoked
// key's uuid is announced to the gateways, which close the sockets its tickets opened (the
// tickets name it).

const api = useApi();

type Key = { uuid: string; name: string; created_at: string };

const listAdminKeys = async (key = api.adminToken) =>
  (await api.app.inject({ url: '/api/admin-keys/', headers: asKey(key) })).json<Key[]>();

describe('administrator keys', () => {
  it('are listed without secrets, created, and revoked at once (announced to the gateways)', async () => {
    const before = await listAdminKeys();
    expect(before.map((k) => k.name)).toContain('ADMIN_TOKEN');
    expect(Object.keys(before[0]!)).toEqual(['uuid', 'name', 'created_at']);

    const created = await api.app.inject({ method: 'POST', url: '/api/admin-keys/', payload: { name: 'ops' } });
    expect(created.statusCode).toBe(201);
    const { uuid, key } = created.json<{ uuid: string; key: string }>();
    expect((await listAdminKeys(key)).map((k) => k.uuid)).toContain(uuid);

    const published = api.published.length;
    const revoked = await api.app.inject({ method: 'DELETE', url: `/api/admin-keys/${uuid}/` });
    expect(revoked.statusCode).toBe(204);
    const refused = await api.app.inject({ url: '/api/admin-keys/', headers: asKey(key) });
    expect([refused.statusCode, refused.json()]).toEqual([401, { detail: 'Invalid token.' }]);
    await api.waitForPublished(published + 1);
    expect(api.published.slice(published)).toContainEqual([keyRevocationsChannel(api.prefix), encodeKeyRevoked(uuid)]);
    // Revoked once: a second DELETE finds nothing.
    expect((await api.app.inject({ method: 'DELETE', url: `/api/admin-keys/${uuid}/` })).statusCode).toBe(404);
  });

  it("need an administrator's key; an organization's key cannot revoke one, and its keys are not administrator keys", async () => {
    const { name: org, key: orgKey } = await createOrganizationWithKey(api, 'keys');
    const [admin] = await listAdminKeys();
    for (const request of [
      { method: 'GET' as const, url: '/api/admin-keys/' },
      { method: 'POST' as const, url: '/api/admin-keys/', payload: { name: 'x' } },
      { method: 'DELETE' as const, url: `/api/admin-keys/${admin!.uuid}/` },
    ]) {
      const res = await api.app.inject({ ...request, headers: asKey(orgKey) });
      expect([request.method, res.statusCode]).toEqual([request.method, 403]);
    }
    const orgKeys = (await api.app.inject({ url: `/api/organizations/${org}/api-keys/` })).json<Key[]>();
    const notAdmin = await api.app.inject({ method: 'DELETE', url: `/api/admin-keys/${orgKeys[0]!.uuid}/` });
    expect(notAdmin.statusCode).toBe(404);
    const ticket = await api.app.inject({
      method: 'POST',
      url: '/api/ws-tickets/',
      payload: { organization: org },
      headers: asKey(orgKey),
    });
    expect(ticket.statusCode).toBe(201);
  });

  it('name the key they were issued to in socket tickets', async () => {
    const { name: org, key: orgKey } = await createOrganizationWithKey(api, 'tickets');
    const [keyRecord] = (await api.app.inject({ url: `/api/organizations/${org}/api-keys/` })).json<Key[]>();
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/ws-tickets/',
      payload: { organization: org },
      headers: asKey(orgKey),
    });
    const check = verifyTicket(api.secretKey, res.json<{ token: string }>().token, org);
    expect(check.ok && check.claims.kid).toBe(keyRecord!.uuid);
  });

  it('rotate ADMIN_TOKEN without a gap: the new value works beside the old until that is revoked', async () => {
    // A deployment of its own (its first ADMIN_TOKEN ends revoked, which the other tests here
    // must not see), and a replica of it: same database, same Redis prefix (revocations reach it there).
    const first = await startApi();
    const second = await startApi({ DATABASE_URL: first.databaseUrl, REDIS_PREFIX: first.prefix });
    try {
      const both = (await second.app.inject({ url: '/api/admin-keys/', headers: asKey(second.adminToken) })).json<
        Key[]
      >();
      expect((await first.app.inject({ url: '/api/admin-keys/', headers: asKey(first.adminToken) })).statusCode).toBe(
        200,
      );
      const bootstrapped = both.filter((k) => k.name === 'ADMIN_TOKEN');
      expect(bootstrapped.length).toBeGreaterThanOrEqual(2);
      // The older one is the first api's: revoke it with the new value.
      const old = bootstrapped[bootstrapped.length - 2]!;
      const deleted = await second.app.inject({
        method: 'DELETE',
        url: `/api/admin-keys/${old.uuid}/`,
        headers: asKey(second.adminToken),
      });
      expect(deleted.statusCode).toBe(204);
      expect((await first.app.inject({ url: '/api/admin-keys/', headers: asKey(first.adminToken) })).statusCode).toBe(
        401,
      );
      // A replica (re)started with the old value does not bring it back.
      const stale = await startApi({ DATABASE_URL: first.databaseUrl, ADMIN_TOKEN: first.adminToken });
      try {
        const refused = await stale.app.inject({ url: '/api/admin-keys/', headers: asKey(first.adminToken) });
        expect(refused.statusCode).toBe(401);
      } finally {
        await stale.close();
      }
      expect((await second.app.inject({ url: '/api/admin-keys/', headers: asKey(second.adminToken) })).statusCode).toBe(
        200,
      );
    } finally {
      await second.close();
      await first.close();
    }
  });
});
