import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export type ClaimOutcome =
  | { kind: 'claimed' }
  | { kind: 'answered'; fingerprint: string; statusCode: number; body: string }
  | { kind: 'in-progress'; fingerprint: string };

/**
 * Claims (api key, key) for a request, as `owner` (new for each attempt), or says what holds it.
 * An expired entry, or a claim whose request never finished within `lockSeconds`, is taken over:
 * its owner changes, so the attempt that held it can no longer complete it.
 */
export async function claimIdempotencyKey(
  db: Kysely<DB>,
  claim: {
    apiKeyId: string;
    key: string;
    fingerprint: string;
    owner: string;
    lockSeconds: number;
    ttlSeconds: number;
  },
  retried = false,
): Promise<ClaimOutcome> {
  const taken = await db
    .insertInto('idempotency_keys')
    .values({
      api_key_id: claim.apiKeyId,
      key: claim.key,
      fingerprint: claim.fingerprint,
      owner: claim.owner,
      locked_until: sql<string>`now() + make_interval(secs => ${claim.lockSeconds})`,
      expires_at: sql<string>`now() + make_interval(secs => ${claim.ttlSeconds})`,
    })
    .onConflict((oc) =>
      oc
        .columns(['api_key_id', 'key'])
        .doUpdateSet({
          fingerprint: claim.fingerprint,
          owner: claim.owner,
          status_code: null,
          body: null,
          locked_until: sql<string>`now() + make_interval(secs => ${claim.lockSeconds})`,
          expires_at: sql<string>`now() + make_interval(secs => ${claim.ttlSeconds})`,
          created_at: sql<string>`now()`,
        })
        // Only an entry nobody may still use is taken over.
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<', sql<string>`now()`),
            eb.and([
              eb('idempotency_keys.status_code', 'is', null),
              eb('idempotency_keys.locked_until', '<', sql<string>`now()`),
            ]),
          ]),
        ),
    )
    .returning('key')
    .executeTakeFirst();
  if (taken) return { kind: 'claimed' };
  const held = await db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'status_code', 'body'])
    .where('api_key_id', '=', claim.apiKeyId)
    .where('key', '=', claim.key)
    .executeTakeFirst();
  // Gone between the two statements (released by a failed request): try again.
  if (!held) {
    if (retried) throw new Error('idempotency key claim did not settle');
    return claimIdempotencyKey(db, claim, true);
  }
  if (held.status_code === null || held.body === null) return { kind: 'in-progress', fingerprint: held.fingerprint };
  return { kind: 'answered', fingerprint: held.fingerprint, statusCode: held.status_code, body: held.body };
}

/**
 * Stores the answer, in the transaction that made the change it describes, if `owner` still holds
 * the key. False when a retry took the key over: the caller must roll that transaction back. The
 * row stays locked until the transaction ends, so a takeover cannot slip in before the commit.
 */
export async function completeIdempotencyKey(
  db: Executor,
  entry: { apiKeyId: string; key: string; owner: string; statusCode: number; body: string },
): Promise<boolean> {
  const done = await db
    .updateTable('idempotency_keys')
    .set({ status_code: entry.statusCode, body: entry.body })
    .where('api_key_id', '=', entry.apiKeyId)
    .where('key', '=', entry.key)
    .where('owner', '=', entry.owner)
    .where('status_code', 'is', null)
    .executeTakeFirst();
  return done.numUpdatedRows > 0n;
}

/**
 * Gives the key up when its request failed without changing anything: a retry runs anew. Only
 * while `owner` holds it: a claim taken over by a retry is the retry's.
 */
export async function releaseIdempotencyKey(db: Executor, apiKeyId: string, key: string, owner: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('api_key_id', '=', apiKeyId)
    .where('key', '=', key)
    .where('owner', '=', owner)
    .where('status_code', 'is', null)
    .execute();
}

/** Deletes up to `limit` expired keys; how many it deleted. */
export async function pruneIdempotencyKeys(db: Executor, limit: number): Promise<number> {
  const result = await sql`
    delete from idempotency_keys
    where (api_key_id, key) in (select api_key_id, key from idempotency_keys where expires_at < now() limit ${limit})
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
