import { describe, expect, it } from 'vitest';
import { createOrganization, createOrganizationKey } from '../../../test/organization.js';
import { asKey, useApi } from './api-harness.js';

// Limits that hold before a request's body is read: bad keys per client address, and a key over
// its limit whatever it sends.

const THROTTLED = /^Request was throttled\. Expected available in \d+ seconds\.$/;

describe('requests with a missing or invalid key, per client address', () => {
  const api = useApi({ RATE_LIMIT_AUTH_FAILURES: '3', RATE_LIMIT_WINDOW_SECONDS: '60' });

  it('answer 401 up to the limit, then 429 with Retry-After; a valid key from there still passes', async () => {
    const from = (remoteAddress: string, authorization: string | undefined) =>
      api.app.inject({ url: '/api/organizations/', remoteAddress, headers: { authorization } });
    const statuses = [];
    for (const authorization of [undefined, 'Token x', 'Bearer hdk_not-a-key']) {
      statuses.push((await from('203.0.113.7', authorization)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401]);
    for (const authorization of [undefined, 'Bearer hdk_not-a-key']) {
      const refused = await from('203.0.113.7', authorization);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json<{ detail: string }>().detail).toMatch(THROTTLED);
    }
    // Others behind the same address (one NAT) with a valid key are not refused for it.
    expect((await from('203.0.113.7', `Bearer ${api.adminToken}`)).statusCode).toBe(200);
    // Another address is not affected.
    expect((await from('203.0.113.8', 'Bearer hdk_not-a-key')).statusCode).toBe(401);
  });
});

describe('a key over its limit', () => {
  // 4: the administrator key's own setup (organization, client, help desk, key) fits in it.
  const api = useApi({ RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_SECONDS: '60' });

  it('is refused before its body is parsed or validated', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'limited');
    const key = await createOrganizationKey(api, organization);
    const send = (payload: string) =>
      api.app.inject({
        method: 'POST',
        url: '/api/send-message/',
        payload,
        headers: { ...asKey(key), 'content-type': 'application/json' },
      });
    expect((await send(JSON.stringify({ help_desk: helpDesk.uuid, message: 'one' }))).statusCode).toBe(201);
    for (let i = 0; i < 3; i += 1) expect((await send('{"not json')).statusCode).toBe(400);
    for (const body of ['{"not json', JSON.stringify({ help_desk: 'nope' })]) {
      const refused = await send(body);
      expect([refused.statusCode, refused.json<{ detail: string }>().detail]).toEqual([
        429,
        expect.stringMatching(THROTTLED),
      ]);
    }
  });
});
