import type { FastifyRequest } from 'fastify';
import { detail } from './api-error.js';

// Django's host_validation_re, plus "_" (container names): a name or an IPv6 literal, and a port.
const VALID_HOST = /^([a-z0-9._-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?$/i;

/**
 * The origin absolute file URLs start with: the configured one, else the request's own, as DRF
 * does (X-Forwarded-Proto/Host count only from a trusted proxy, see TRUST_PROXY). A Host that is
 * not a host name is refused as Django refuses it, rather than written into every file URL.
 */
export function fileBaseUrl(request: FastifyRequest, publicBaseUrl: string | undefined): string {
  if (publicBaseUrl !== undefined) return publicBaseUrl;
  const { host } = request;
  if (!VALID_HOST.test(host)) throw detail(400, `Invalid HTTP_HOST header: ${JSON.stringify(host)}.`);
  return `${request.protocol === 'https' ? 'https' : 'http'}://${host}`;
}
