import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { MessageStatusBody, UuidParams } from '@helpdesk/shared';
import { canAccess } from '../auth/access.js';
import { rejectInvalidRequest } from '../http/validation-errors.js';
import { changeMessageStatus } from '../services/lifecycle.service.js';
import { errorResponses } from './error-responses.js';

/** Status callbacks (ours, issue 4, item 5): a channel provider reports delivery, reading or failure. */
const messagesRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.patch(
    '/api/messages/:uuid/',
    {
      schema: {
        tags: ['lifecycle'],
        summary: "Move a message's status forward: sending → sent → delivered → read, or failed before delivery",
        description: 'Sockets of the organization receive update_message. A backward or same move answers 400.',
        params: UuidParams,
        body: MessageStatusBody,
        response: { 200: Type.Ref('Message'), ...errorResponses(400, 401, 404, 415) },
      },
      // A malformed uuid is simply not found; a bad body is a field error.
      attachValidation: true,
    },
    async (request) => {
      rejectInvalidRequest(request);
      const baseUrl = app.publicOrigin();
      return changeMessageStatus(
        { db: app.db, relay: app.relay },
        {
          uuid: request.params.uuid,
          status: request.body.status,
          fileBaseUrl: baseUrl,
          mayAccess: (organizationId) => canAccess(request, organizationId),
        },
      );
    },
  );
  done();
};

export default messagesRoute;
