import { accessCheck } from '../auth/access.js';
import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CreateClientBody, OrganizationQuery, serializeClient } from '@helpdesk/shared';
import { createClient, listClients } from '../db/client.repository.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from '../services/organization.service.js';

/** Administration (ours): an organization's clients. */
const clientsRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    '/api/clients/',
    {
      schema: {
        tags: ['administration'],
        summary: 'Create a client of an organization',
        body: CreateClientBody,
        response: { 201: Type.Ref('Client'), ...errorResponses(400, 404, 415) },
      },
    },
    async (request, reply) => {
      const organization = await requireOrganization(app.db, accessCheck(request), request.body.organization);
      const record = await createClient(app.db, {
        uuid: randomUUID(),
        organizationId: organization.id,
        name: request.body.name,
        phone: request.body.phone,
      });
      return reply.code(201).send(serializeClient(record));
    },
  );

  app.get(
    '/api/clients/',
    {
      schema: {
        tags: ['administration'],
        summary: "List an organization's clients",
        querystring: OrganizationQuery,
        response: { 200: Type.Array(Type.Ref('Client')), ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const organization = await requireOrganization(app.db, accessCheck(request), request.query.organization);
      return (await listClients(app.db, organization.id)).map(serializeClient);
    },
  );
  done();
};

export default clientsRoute;
