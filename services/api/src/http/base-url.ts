import type { FastifyRequest } from 'fastify';

/** The origin absolute file URLs start with: the configured one, else the request's own, as DRF does. */
export function fileBaseUrl(request: FastifyRequest, publicBaseUrl: string | undefined): string {
  return publicBaseUrl ?? `${request.protocol}://${request.host}`;
}
