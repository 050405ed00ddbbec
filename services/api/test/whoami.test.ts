import { describe, expect, it } from 'vitest';
import { createOrganizationWithKey } from '../../../test/organization.js';
import { asKey, useApi } from './api-harness.js';

// GET /api/whoami/: an app tells an administrator's key from an organization's without probing.

const api = useApi();

const whoAmI = async (key: string | undefined) => {
  const res = await api.app.inject({ url: '/api/whoami/', headers: asKey(key) });
  return [res.statusCode, res.body];
};

describe('GET /api/whoami/', () => {
  it("names an administrator's key, and an organization's with its organization", async () => {
    expect(await whoAmI(api.adminToken)).toEqual([200, '{"kind":"admin","organization":null}']);
    const { name, key } = await createOrganizationWithKey(api, 'whoami');
    expect(await whoAmI(key)).toEqual([200, `{"kind":"organization","organization":"${name}"}`]);
  });

  it('answers 401 without a valid key, as every route does', async () => {
    expect(await whoAmI(undefined)).toEqual([401, '{"detail":"Authentication credentials were not provided."}']);
    expect(await whoAmI('hdk_not-a-key')).toEqual([401, '{"detail":"Invalid token."}']);
  });
});
