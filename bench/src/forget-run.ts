import type { Redis } from 'ioredis';

/**
 * Deletes what a run left in Redis under its prefix (a bench run's `hdbench:<run>:`, a test run's
 * `hdtest:<run>:`), inside `{…}` hash tags too: its organizations' histories, and their last-id
 * keys, which never expire on purpose. Without it every run leaves thousands of keys behind.
 */
export async function forgetRun(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  const stream = redis.scanStream({ match: `*${prefix}*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  }
  return deleted;
}
