import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CreateWsTicketBody, issueTicket } from '@helpdesk/shared';
import { accessCheck, principalOf } from '../auth/access.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from '../services/organization.service.js';

export interface WsTicketsRouteOptions {
  secretKey: string;
  ttlSeconds: number;
}

/**
 * Socket tickets (ours): browsers cannot set headers on a WebSocket and a key in a URL ends up in
 * logs, so a key holder trades it for a short-lived signed ticket the gateway checks on upgrade.
 */
const wsTicketsRoute: FastifyPluginCallbackTypebox<WsTicketsRouteOptions> = (app, options, done) => {
  app.post(
    '/api/ws-tickets/',
    {
      schema: {
        tags: ['authentication'],
        summary: "A short-lived ticket for the organization's socket",
        body: CreateWsTicketBody,
        response: { 201: Type.Ref('WsTicket'), ...errorResponses(400, 401, 404, 415) },
      },
    },
    async (request, reply) => {
      const organization = await requireOrganization(app.db, accessCheck(request), request.body.organization);
      const { keyUuid } = principalOf(request);
      const { token, claims } = issueTicket(
        options.secretKey,
        organization.name,
        options.ttlSeconds,
        Date.now(),
        keyUuid,
      );
      const expiresAt = new Date(claims.exp * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
      return reply.code(201).send({ token, expires_at: expiresAt });
    },
  );
  done();
};

export default wsTicketsRoute;
