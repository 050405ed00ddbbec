import { accessCheck, canAccess } from '../auth/access.js';
import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  CreateHelpDeskBody,
  ERROR_MESSAGES,
  HELP_DESK_STATUSES,
  OrganizationQuery,
  UuidParams,
  serializeHelpDesk,
  serializeMessage,
} from '@helpdesk/shared';
import { findClientId } from '../db/client.repository.js';
import { createHelpDesk, findHelpDesk, getHelpDeskRecord, listHelpDesks } from '../db/help-desk.repository.js';
import { listMessages } from '../db/message.repository.js';
import { fieldError, notFound } from '../http/api-error.js';
import { rejectInvalidRequest } from '../http/validation-errors.js';
import { changeHelpDeskStatus } from '../services/lifecycle.service.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from '../services/organization.service.js';

export const HelpDeskStatusBody = Type.Object(
  { status: Type.Union(HELP_DESK_STATUSES.map((s) => Type.Literal(s))) },
  { additionalProperties: false },
);

const helpDesksRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.get(
    '/api/help-desks/',
    {
      schema: {
        tags: ['contract'],
        summary: "An organization's help desks, most recent activity first",
        querystring: OrganizationQuery,
        response: { 200: Type.Array(Type.Ref('HelpDesk')), ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const organization = await requireOrganization(app.db, accessCheck(request), request.query.organization);
      const baseUrl = app.publicOrigin();
      return (await listHelpDesks(app.db, organization.id)).map((record) => serializeHelpDesk(record, baseUrl));
    },
  );

  app.post(
    '/api/help-desks/',
    {
      schema: {
        tags: ['administration'],
        summary: 'Open a help desk between an organization and one of its clients',
        body: CreateHelpDeskBody,
        response: { 201: Type.Ref('HelpDesk'), ...errorResponses(400, 404, 415) },
      },
    },
    async (request, reply) => {
      const baseUrl = app.publicOrigin();
      const organization = await requireOrganization(app.db, accessCheck(request), request.body.organization);
      const clientId = await findClientId(app.db, organization.id, request.body.client);
      if (clientId === undefined) throw fieldError('client', ERROR_MESSAGES.doesNotExist(request.body.client));
      const id = await createHelpDesk(app.db, { uuid: randomUUID(), organizationId: organization.id, clientId });
      const record = await getHelpDeskRecord(app.db, id);
      return reply.code(201).send(serializeHelpDesk(record, baseUrl));
    },
  );

  app.get(
    '/api/help-desks/:uuid/history/',
    {
      schema: {
        tags: ['contract'],
        summary: "A help desk's messages, oldest first",
        params: UuidParams,
        response: { 200: Type.Array(Type.Ref('Message')), ...errorResponses(404) },
      },
      // A malformed uuid is simply not found, as Django's URL resolver would answer.
      attachValidation: true,
    },
    async (request) => {
      if (request.validationError) throw notFound();
      const helpDesk = await findHelpDesk(app.db, request.params.uuid);
      if (!helpDesk || !canAccess(request, helpDesk.organizationId)) throw notFound();
      const baseUrl = app.publicOrigin();
      return (await listMessages(app.db, helpDesk.id, helpDesk.uuid)).map((record) =>
        serializeMessage(record, baseUrl),
      );
    },
  );

  app.patch(
    '/api/help-desks/:uuid/',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Open or close a help desk',
        description:
          'Sockets of the organization receive update_helpdesk when the status changes. Inbound messages ' +
          "go to the client's open help desk, or open a new one.",
        params: UuidParams,
        body: HelpDeskStatusBody,
        response: { 200: Type.Ref('HelpDesk'), ...errorResponses(400, 401, 404, 415) },
      },
      attachValidation: true,
    },
    async (request) => {
      rejectInvalidRequest(request);
      return changeHelpDeskStatus(
        { db: app.db, relay: app.relay },
        {
          uuid: request.params.uuid,
          status: request.body.status,
          fileBaseUrl: app.publicOrigin(),
          mayAccess: (organizationId) => canAccess(request, organizationId),
        },
      );
    },
  );
  done();
};

export default helpDesksRoute;
