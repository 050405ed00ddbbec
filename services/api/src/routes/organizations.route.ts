import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CreateOrganizationBody, serializeOrganization } from '@helpdesk/shared';
import { principalOf, requireAdmin } from '../auth/access.js';
import { createOrganization, listOrganizations } from '../db/organization.repository.js';
import { fieldError } from '../http/api-error.js';
import { DRF_MESSAGES } from '../http/drf-messages.js';
import { errorResponses } from './error-responses.js';

/** Administration (ours): create and list organizations. */
const organizationsRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    '/api/organizations/',
    {
      schema: {
        tags: ['administration'],
        summary: 'Create an organization (administrator)',
        body: CreateOrganizationBody,
        response: { 201: Type.Ref('Organization'), ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const record = await createOrganization(app.db, randomUUID(), request.body.name);
      if (!record) throw fieldError('name', DRF_MESSAGES.unique('organization', 'name'));
      return reply.code(201).send(serializeOrganization(record));
    },
  );

  app.get(
    '/api/organizations/',
    {
      schema: {
        tags: ['administration'],
        summary: "List organizations: all for an administrator, its own for an organization's key",
        response: { 200: Type.Array(Type.Ref('Organization')), ...errorResponses(401) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const scope = principal.kind === 'organization' ? principal.organizationId : undefined;
      return (await listOrganizations(app.db, scope)).map(serializeOrganization);
    },
  );
  done();
};

export default organizationsRoute;
