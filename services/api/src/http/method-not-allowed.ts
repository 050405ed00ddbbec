import { METHODS } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';

// OPTIONS is left to CORS preflight handling (@fastify/cors, when CORS_ORIGINS is set). In the
// order DRF lists them in Allow (its View.http_method_names).
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** Every method some route of the api may serve; any other is a 405 wherever it is sent. */
export const SERVED_METHODS: ReadonlySet<string> = new Set([...ALL_METHODS, 'OPTIONS']);

/**
 * The other methods Node's parser reads (TRACE, PROPFIND, MKCOL …), which no route serves: DRF
 * answers them 405 with Allow on a known path too. CONNECT never reaches routing (protocol-errors.ts).
 */
const UNSERVED_METHODS = METHODS.filter((m) => !SERVED_METHODS.has(m) && m !== 'CONNECT');

/** 405 in DRF's words, for a method the path (or the whole api) does not serve. */
export function methodNotAllowed(method: string): ReturnType<typeof detailError> {
  return detailError(ERROR_MESSAGES.methodNotAllowed(method));
}

/**
 * DRF answers a known path with an unsupported method as 405 with an Allow header (not 404),
 * before it reads the body (so not 415 nor 413). Call this before the routes are registered: it
 * notes every documented `/api/` route as it is added; the function it returns, called once they
 * all are, registers that answer for the methods each path does not serve, sent from onRequest so
 * no body parser runs.
 */
export function collectMethodsServed(app: FastifyInstance): () => void {
  // Fastify routes only the methods it was told of; the unserved ones are routed to the 405 too.
  for (const method of UNSERVED_METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method);
  }
  const served = new Map<string, Set<string>>();
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/') || route.schema?.hide === true) return;
    const methods = served.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    served.set(route.url, methods);
  });
  return () => {
    for (const [url, methods] of served) answerOtherMethods(app, url, methods);
  };
}

function answerOtherMethods(app: FastifyInstance, url: string, methods: ReadonlySet<string>): void {
  const allowed = ALL_METHODS.filter((m) => methods.has(m) || (m === 'HEAD' && methods.has('GET')));
  const others = [...ALL_METHODS.filter((m) => !allowed.includes(m)), ...UNSERVED_METHODS];
  const answer = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(405).header('allow', allowed.join(', ')).send(methodNotAllowed(request.method));
  app.route({
    method: others,
    url,
    schema: { hide: true },
    onRequest: async (request, reply) => answer(request, reply),
    handler: async (request, reply) => answer(request, reply),
  });
}
