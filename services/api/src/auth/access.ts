import type { FastifyRequest } from 'fastify';
import { detail, notFound } from '../http/api-error.js';
import { AUTH_MESSAGES, type Principal } from './principal.js';

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error('route is not behind the auth hook');
  return request.principal;
}

/** Administration (organizations, keys) needs an administrator's key. */
export function requireAdmin(request: FastifyRequest): void {
  if (principalOf(request).kind !== 'admin') throw detail(403, AUTH_MESSAGES.forbidden);
}

/** Whether the request's key may see the organization's objects. */
export function canAccess(request: FastifyRequest, organizationId: string): boolean {
  const principal = principalOf(request);
  return principal.kind === 'admin' || principal.organizationId === organizationId;
}

/** The organization the request's key may see the objects of; null: every one (an administrator's). */
export function organizationScope(request: FastifyRequest): string | null {
  const principal = principalOf(request);
  return principal.kind === 'admin' ? null : principal.organizationId;
}

/** The request's key's access, as services take it: whether it may see an organization's objects. */
export function accessCheck(request: FastifyRequest): (organizationId: string) => boolean {
  return (organizationId) => canAccess(request, organizationId);
}

/**
 * Another organization's object answers exactly like a missing one (404), so a key cannot learn
 * what exists elsewhere.
 */
export function requireAccess(request: FastifyRequest, organizationId: string): void {
  if (!canAccess(request, organizationId)) throw notFound();
}

/** The organization of the request's key; undefined for an administrator's. */
export function ownOrganization(request: FastifyRequest): { id: string; name: string } | undefined {
  const principal = principalOf(request);
  return principal.kind === 'organization'
    ? { id: principal.organizationId, name: principal.organizationName }
    : undefined;
}
