import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canAccess } from '../auth/access.js';
import { findOrganizationByName, type OrganizationRef } from '../db/organization.repository.js';
import { notFound } from '../http/api-error.js';

/**
 * The organization named in a path, query or body. Unknown, and another organization's for an
 * organization key, both answer 404 (CONTRACT.md; issue: never confirm another tenant exists).
 */
export async function requireOrganization(
  app: FastifyInstance,
  request: FastifyRequest,
  name: string,
): Promise<OrganizationRef> {
  const organization = await findOrganizationByName(app.db, name);
  if (!organization || !canAccess(request, organization.id)) throw notFound();
  return organization;
}
