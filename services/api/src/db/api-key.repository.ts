import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface ApiKeyRecord {
  uuid: string;
  name: string;
  created_at: string;
}

/** The holder of a valid key, as the auth hook sees it. */
export interface KeyOwner {
  keyId: string;
  /** Named in the socket tickets issued to the key, so its revocation can close their sockets. */
  keyUuid: string;
  /** null for an administrator's key. */
  organizationId: string | null;
  organizationName: string | null;
}

export async function insertApiKey(
  db: Executor,
  key: { uuid: string; organizationId: string | null; name: string; keyHash: string },
): Promise<ApiKeyRecord> {
  return db
    .insertInto('api_keys')
    .values({ uuid: key.uuid, organization_id: key.organizationId, name: key.name, key_hash: key.keyHash })
    .returning(['uuid', 'name', 'created_at'])
    .executeTakeFirstOrThrow();
}

/**
 * Makes sure an administrator key with this hash exists (ADMIN_TOKEN bootstrap); answers
 * 'revoked' when it was revoked, which it stays (a leaked value must not come back with the next
 * restart). Earlier values stay valid until revoked (DELETE /api/admin-keys/<uuid>/): replicas of
 * a rolling update run with the old and the new value side by side.
 */
export async function ensureAdminKey(
  db: Executor,
  key: { uuid: string; name: string; keyHash: string },
): Promise<'active' | 'revoked'> {
  await db
    .insertInto('api_keys')
    .values({ uuid: key.uuid, organization_id: null, name: key.name, key_hash: key.keyHash })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .execute();
  const stored = await db
    .selectFrom('api_keys')
    .select(['revoked_at', 'organization_id'])
    .where('key_hash', '=', key.keyHash)
    .executeTakeFirstOrThrow();
  return stored.revoked_at === null && stored.organization_id === null ? 'active' : 'revoked';
}

export async function findKeyOwner(db: Executor, keyHash: string): Promise<KeyOwner | undefined> {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('organizations as o', 'o.id', 'k.organization_id')
    .select(['k.id as keyId', 'k.uuid as keyUuid', 'k.organization_id as organizationId', 'o.name as organizationName'])
    .where('k.key_hash', '=', keyHash)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
}

/** The active keys of an organization, or the administrators' (null). */
export async function listApiKeys(db: Executor, organizationId: string | null): Promise<ApiKeyRecord[]> {
  return db
    .selectFrom('api_keys')
    .select(['uuid', 'name', 'created_at'])
    .where('organization_id', organizationId === null ? 'is' : '=', organizationId)
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
}

/**
 * Revokes at once an active key of the organization, or an administrator's (null); true when one
 * was revoked.
 */
export async function revokeApiKey(db: Executor, organizationId: string | null, uuid: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<string>`now()` })
    .where('organization_id', organizationId === null ? 'is' : '=', organizationId)
    .where('uuid', '=', uuid)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
