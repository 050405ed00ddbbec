import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../test/test-env.js';
import { forgetRun } from './forget-run.js';

const redis = new Redis(testEnv().redisUrl);
afterAll(() => redis.quit());

describe('forgetRun', () => {
  it("deletes the run's keys, hash-tagged or not, and no other run's", async () => {
    const run = `hdbench:${randomUUID()}:`;
    const other = `hdbench:${randomUUID()}:`;
    const keys = (prefix: string) => [`{${prefix}org:a}:last`, `{${prefix}org:a}:history`, `${prefix}revoked`];
    for (const key of [...keys(run), ...keys(other)]) await redis.set(key, '1');
    expect(await forgetRun(redis, run)).toBe(3);
    expect(await redis.exists(...keys(run))).toBe(0);
    expect(await redis.exists(...keys(other))).toBe(3);
    await redis.del(...keys(other));
  });
});
