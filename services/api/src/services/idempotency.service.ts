import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../db/idempotency.repository.js';
import type { DB } from '../db/tables.js';
import { IdempotencyError } from './domain-errors.js';

// `Idempotency-Key` (issue 4, item 6): a client that retries a POST whose answer it never got
// sends the same key, and gets the first answer (same status and body) with nothing created
// again. Keys are per API key and kept IDEMPOTENCY_TTL_SECONDS.
//
// A retry that arrives while the first request is still running gets 409 rather than waiting for
// it: the client retries later and then gets the stored answer. Only when the first request has
// held the key for LOCK_SECONDS without answering (its process most likely died) may a retry take
// the key over and run; each attempt claims the key under its own owner token, and the answer is
// stored only if that token still holds the key, in the transaction that creates the message. So
// a first request that was only slow, not dead, rolls back (409) instead of creating a second one.

const KEY = /^[\x20-\x7e]{1,255}$/;
/** A claim whose request has not answered in this long (its process died) may be taken over. */
const LOCK_SECONDS = 60;

export type IdempotentStart =
  | { kind: 'replay'; statusCode: number; body: unknown }
  | {
      kind: 'run';
      /**
       * Stores the answer in the transaction that creates what it describes; absent without a
       * key (nothing to store, so the creating statement needs no transaction of its own).
       */
      record?: (trx: Transaction<DB>, statusCode: number, body: unknown) => Promise<void>;
      /** The request failed before committing anything: a retry with the key runs anew. */
      release(): Promise<void>;
    };

export interface IdempotentRequest {
  /** The request's Idempotency-Key, if it sent one. */
  key: string | undefined;
  /** The API key that sent it: keys are per API key. */
  apiKeyId: string;
  /** Which operation (method and route), so the same key used for another one is refused. */
  operation: string;
  /** What is asked (fields), so the same key used for another request is refused. */
  asked: unknown;
  ttlSeconds: number;
}

const WITHOUT_KEY: IdempotentStart = {
  kind: 'run',
  release: () => Promise.resolve(),
};

/**
 * Before a request creates anything: answers the stored answer for a key used before, or claims
 * the key.
 */
export async function beginIdempotent(db: Kysely<DB>, request: IdempotentRequest): Promise<IdempotentStart> {
  const { key, apiKeyId } = request;
  if (key === undefined) return WITHOUT_KEY;
  if (!KEY.test(key)) {
    throw new IdempotencyError('invalid-key', 'Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
  const fingerprint = createHash('sha256')
    .update(`${request.operation}\n${canonicalJson(request.asked)}`)
    .digest('hex');
  const owner = randomUUID();
  const outcome = await claimIdempotencyKey(db, {
    apiKeyId,
    key,
    fingerprint,
    owner,
    lockSeconds: LOCK_SECONDS,
    ttlSeconds: request.ttlSeconds,
  });
  switch (outcome.kind) {
    case 'claimed':
      return {
        kind: 'run',
        record: async (trx, statusCode, body) => {
          const owned = await completeIdempotencyKey(trx, {
            apiKeyId,
            key,
            owner,
            statusCode,
            body: JSON.stringify(body),
          });
          // Thrown inside the transaction: the message and its events roll back with it.
          if (!owned) throw takenOver();
        },
        release: () => releaseIdempotencyKey(db, apiKeyId, key, owner),
      };
    case 'answered':
      if (outcome.fingerprint !== fingerprint) throw reused();
      return { kind: 'replay', statusCode: outcome.statusCode, body: JSON.parse(outcome.body) as unknown };
    case 'in-progress':
      if (outcome.fingerprint !== fingerprint) throw reused();
      throw new IdempotencyError(
        'in-progress',
        'A request with this Idempotency-Key is still in progress; retry later.',
      );
  }
}

function reused() {
  return new IdempotencyError('reused', 'This Idempotency-Key was already used with another request.');
}

function takenOver() {
  return new IdempotencyError(
    'taken-over',
    'A retry took this Idempotency-Key over while the request was running; nothing was created.',
  );
}

/**
 * JSON with every object's keys sorted (recursively), so that the same request written with its
 * fields in another order has the same fingerprint. Arrays keep their order.
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
