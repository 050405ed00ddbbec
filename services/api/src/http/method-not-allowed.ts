import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';

// OPTIONS is left to CORS preflight handling (@fastify/cors, when CORS_ORIGINS is set). In the
// order DRF lists them in Allow (its View.http_method_names).
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/**
 * DRF answers a known path with an unsupported method as 405 with an Allow header (not 404),
 * before it reads the body (so not 415 nor 413). Call this before the routes are registered: it
 * notes every documented `/api/` route as it is added; the function it returns, called once they
 * all are, registers that answer for the methods each path does not serve, sent from onRequest so
 * no body parser runs.
 */
export function collectMethodsServed(app: FastifyInstance): () => void {
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
  const others = ALL_METHODS.filter((m) => !allowed.includes(m));
  if (others.length === 0) return;
  const answer = (request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(405)
      .header('allow', allowed.join(', '))
      .send(detailError(ERROR_MESSAGES.methodNotAllowed(request.method)));
  app.route({
    method: others,
    url,
    schema: { hide: true },
    onRequest: async (request, reply) => answer(request, reply),
    handler: async (request, reply) => answer(request, reply),
  });
}
