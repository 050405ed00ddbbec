import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { WhoAmI } from '@helpdesk/shared';
import { principalOf } from '../auth/access.js';
import { errorResponses } from './error-responses.js';

/**
 * Whom the key belongs to (ours). An app that signs in with a key the person pasted (the console)
 * learns here whether to offer administration, instead of probing a route the key may not use
 * (a 403 that browsers log on every agent's sign-in).
 */
const whoAmIRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.get(
    '/api/whoami/',
    {
      schema: {
        tags: ['authentication'],
        summary: "Whom the request's key belongs to: an administrator, or an organization (which)",
        response: { 200: Type.Ref('WhoAmI'), ...errorResponses(401) },
      },
    },
    (request): WhoAmI => {
      const principal = principalOf(request);
      return principal.kind === 'admin'
        ? { kind: 'admin', organization: null }
        : { kind: 'organization', organization: principal.organizationName };
    },
  );
  done();
};

export default whoAmIRoute;
