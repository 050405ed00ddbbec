import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { principalOf } from '../auth/access.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  pruneIdempotencyKeys,
  releaseIdempotencyKey,
} from '../db/idempotency.repository.js';
import type { DB } from '../db/tables.js';
import { detail } from './api-error.js';

// `Idempotency-Key` (issue 4, item 6): a client that retries a POST whose answer it never got
// sends the same key, and gets the first answer (same status and body) with nothing created
// again. Keys are per API key and kept IDEMPOTENCY_TTL_SECONDS.

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

const KEY = /^[\x20-\x7e]{1,255}$/;
/** A claim whose request has not answered in this long (its process died) may be taken over. */
const LOCK_SECONDS = 60;
const PRUNE_EVERY_MS = 60_000;

export type IdempotentStart =
  | { kind: 'replay'; statusCode: number; body: unknown }
  | {
      kind: 'run';
      /** Stores the answer in the transaction that creates what it describes (no-op without a key). */
      record(trx: Transaction<DB>, statusCode: number, body: unknown): Promise<void>;
      /** The request failed before committing anything: a retry with the key runs anew. */
      release(): Promise<void>;
    };

const WITHOUT_KEY: IdempotentStart = {
  kind: 'run',
  record: () => Promise.resolve(),
  release: () => Promise.resolve(),
};

let lastPrune = 0;

/**
 * Before a request creates anything: answers the stored answer for a key used before, or claims
 * the key. `request` describes what is asked (route and fields) so that the same key used for
 * another request is refused rather than answered with the first one's result.
 */
export async function beginIdempotent(
  app: FastifyInstance,
  request: FastifyRequest,
  ttlSeconds: number,
  asked: unknown,
): Promise<IdempotentStart> {
  const key = request.headers[IDEMPOTENCY_HEADER];
  if (key === undefined) return WITHOUT_KEY;
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw detail(400, 'Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
  const apiKeyId = principalOf(request).keyId;
  const fingerprint = createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url ?? ''}\n${JSON.stringify(asked)}`)
    .digest('hex');
  maybePrune(app);
  const outcome = await claimIdempotencyKey(app.db, {
    apiKeyId,
    key,
    fingerprint,
    lockSeconds: LOCK_SECONDS,
    ttlSeconds,
  });
  switch (outcome.kind) {
    case 'claimed':
      return {
        kind: 'run',
        record: (trx, statusCode, body) =>
          completeIdempotencyKey(trx, { apiKeyId, key, statusCode, body: JSON.stringify(body) }),
        release: () => releaseIdempotencyKey(app.db, apiKeyId, key),
      };
    case 'answered':
      if (outcome.fingerprint !== fingerprint) throw reused();
      return { kind: 'replay', statusCode: outcome.statusCode, body: JSON.parse(outcome.body) as unknown };
    case 'in-progress':
      if (outcome.fingerprint !== fingerprint) throw reused();
      throw detail(409, 'A request with this Idempotency-Key is still in progress; retry later.');
  }
}

function reused() {
  return detail(422, 'This Idempotency-Key was already used with another request.');
}

function maybePrune(app: FastifyInstance): void {
  const now = Date.now();
  if (now - lastPrune < PRUNE_EVERY_MS) return;
  lastPrune = now;
  pruneIdempotencyKeys(app.db, 1000).catch((error: unknown) =>
    app.log.warn({ err: error }, 'could not prune expired idempotency keys'),
  );
}
