import type { FastifyInstance } from 'fastify';
import { findOrganizationByName, type OrganizationRef } from '../db/organization.repository.js';
import { notFound } from '../http/api-error.js';

/** The organization named in a query or body; an unknown name answers 404 (CONTRACT.md). */
export async function requireOrganization(app: FastifyInstance, name: string): Promise<OrganizationRef> {
  const organization = await findOrganizationByName(app.db, name);
  if (!organization) throw notFound();
  return organization;
}
