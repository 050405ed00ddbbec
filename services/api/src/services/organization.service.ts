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
  /**
   * The caller's own organization (an organization key's), known without a query: organizations
   * are never renamed nor deleted, so the name its key was looked up with still names it.
   */
  own?: OrganizationRef,
): Promise<OrganizationRef> {
  if (own !== undefined && own.name === name && mayAccess(own.id)) return own;
  const organization = await findOrganizationByName(db, name);
  if (!organization || !mayAccess(organization.id)) throw new NotFoundError();
  return organization;
}
