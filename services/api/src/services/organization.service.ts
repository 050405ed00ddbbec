import type { Kysely } from 'kysely';
import { findOrganizationByName, type OrganizationRef } from '../db/organization.repository.js';
import type { DB } from '../db/tables.js';
import { NotFoundError } from './domain-errors.js';

/**
 * The organization named in a path, query or body. Unknown, and another organization's for an
 * organization key, both answer 404 (CONTRACT.md; issue: never confirm another tenant exists).
 */
export async function requireOrganization(
  db: Kysely<DB>,
  mayAccess: (organizationId: string) => boolean,
  name: string,
): Promise<OrganizationRef> {
  const organization = await findOrganizationByName(db, name);
  if (!organization || !mayAccess(organization.id)) throw new NotFoundError();
  return organization;
}
