import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganizationWithKey } from '../../../test/organization.js';
import { asKey, startApi, type ApiHarness } from './api-harness.js';

// REST rate limits in distributed mode (issue 3, item 5): the counters live in Redis, so a key's
// requests count the same whichever api replica answers them.

const MAX = 8;
// Long enough that a run of requests always falls in one window, short enough to wait out once.
const WINDOW_SECONDS = 3;

let a: ApiHarness;
let b: ApiHarness;

/** Two replicas of one deployment: the same database, Redis prefix and administrator key. */
beforeAll(async () => {
  const limits = { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) };
  a = await startApi(limits);
  b = await startApi({ ...limits, DATABASE_URL: a.databaseUrl, REDIS_PREFIX: a.prefix, ADMIN_TOKEN: a.adminToken });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

/** A new organization's key, made through replica a (two of the administrator's requests). */
async function newKey(): Promise<{ organization: string; key: string }> {
  const { name, key } = await createOrganizationWithKey(a, 'rl');
  return { organization: name, key };
}

function summary(res: LightMyRequestResponse) {
  return { status: res.statusCode, remaining: res.headers['x-ratelimit-remaining'] };
}

/** The 429 answer, exactly: DRF's throttled text with the same seconds as Retry-After. */
function expectThrottled(res: LightMyRequestResponse): number {
  expect(res.statusCode).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json()).toEqual({ detail: `Request was throttled. Expected available in ${retryAfter} seconds.` });
  return retryAfter;
}

describe('rate limit shared by api replicas', () => {
  it('counts one key across both replicas: 429 after MAX requests in all, on either', async () => {
    const { organization, key } = await newKey();
    const url = `/api/help-desks/?organization=${organization}`;
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < MAX + 2; i += 1) {
      const replica = i % 2 === 0 ? a : b;
      answers.push(await replica.app.inject({ url, headers: asKey(key) }));
    }
    // One counter: each replica's answer says what is left of the shared budget.
    expect(answers.slice(0, MAX).map(summary)).toEqual(
      Array.from({ length: MAX }, (_, i) => ({ status: 200, remaining: String(MAX - 1 - i) })),
    );
    for (const res of answers.slice(MAX)) expectThrottled(res);
    // Both replicas now refuse it, whatever the route; other keys are unaffected on both.
    expectThrottled(await b.app.inject({ url: '/api/organizations/', headers: asKey(key) }));
    expectThrottled(await a.app.inject({ url: '/api/organizations/', headers: asKey(key) }));
    for (const replica of [a, b]) {
      const other = await replica.app.inject({ url: '/api/organizations/', headers: asKey(a.adminToken) });
      expect(other.statusCode).toBe(200);
    }
  });

  it('lets the key in again on both replicas once Retry-After has passed', async () => {
    const { key } = await newKey();
    let throttled: LightMyRequestResponse | undefined;
    for (let i = 0; i <= MAX; i += 1) {
      const res = await (i % 2 === 0 ? a : b).app.inject({ url: '/api/organizations/', headers: asKey(key) });
      if (i === MAX) throttled = res;
      else expect(res.statusCode).toBe(200);
    }
    const retryAfter = expectThrottled(throttled!);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    const again = [
      await a.app.inject({ url: '/api/organizations/', headers: asKey(key) }),
      await b.app.inject({ url: '/api/organizations/', headers: asKey(key) }),
    ];
    expect(again.map(summary)).toEqual([
      { status: 200, remaining: String(MAX - 1) },
      { status: 200, remaining: String(MAX - 2) },
    ]);
  });

  it('a deployment with another Redis prefix keeps its own counters, even for the same key', async () => {
    const { key } = await newKey();
    const elsewhere = await startApi({
      RATE_LIMIT_MAX: String(MAX),
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      DATABASE_URL: a.databaseUrl,
      ADMIN_TOKEN: a.adminToken,
    });
    try {
      for (let i = 0; i < MAX; i += 1) {
        expect((await a.app.inject({ url: '/api/organizations/', headers: asKey(key) })).statusCode).toBe(200);
      }
      expectThrottled(await b.app.inject({ url: '/api/organizations/', headers: asKey(key) }));
      const there = await elsewhere.app.inject({ url: '/api/organizations/', headers: asKey(key) });
      expect(summary(there)).toEqual({ status: 200, remaining: String(MAX - 1) });
    } finally {
      await elsewhere.close();
    }
  });

  // Requests without a valid key are limited per address by RATE_LIMIT_AUTH_FAILURES, in each
  // replica's memory, before any key lookup: services/api/test/auth-throttle.test.ts.
});
