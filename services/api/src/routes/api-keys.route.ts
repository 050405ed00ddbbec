import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CreateApiKeyBody, OrganizationParams, pgTimestampToIso } from '@helpdesk/shared';
import { requireAdmin } from '../auth/access.js';
import { generateApiKey, hashApiKey } from '../auth/api-key-secret.js';
import { insertApiKey, listApiKeys, revokeApiKey } from '../db/api-key.repository.js';
import { notFound } from '../http/api-error.js';
import { methodNotAllowed } from '../http/error-handler.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from './organization-lookup.js';

const KEYS_PATH = '/api/organizations/:name/api-keys/';

/** Administration (ours): an organization's API keys. The secret is answered once, at creation. */
const apiKeysRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    KEYS_PATH,
    {
      schema: {
        tags: ['administration'],
        summary: 'Create an API key for an organization (administrator)',
        params: OrganizationParams,
        body: CreateApiKeyBody,
        response: { 201: Type.Ref('CreatedApiKey'), ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const organization = await requireOrganization(app, request, request.params.name);
      const key = generateApiKey();
      const record = await insertApiKey(app.db, {
        uuid: randomUUID(),
        organizationId: organization.id,
        name: request.body.name,
        keyHash: hashApiKey(key),
      });
      return reply
        .code(201)
        .send({ uuid: record.uuid, name: record.name, key, created_at: pgTimestampToIso(record.created_at) });
    },
  );

  app.get(
    KEYS_PATH,
    {
      schema: {
        tags: ['administration'],
        summary: "An organization's active API keys, without secrets (administrator)",
        params: OrganizationParams,
        response: { 200: Type.Array(Type.Ref('ApiKey')), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      requireAdmin(request);
      const organization = await requireOrganization(app, request, request.params.name);
      const keys = await listApiKeys(app.db, organization.id);
      return keys.map((k) => ({ uuid: k.uuid, name: k.name, created_at: pgTimestampToIso(k.created_at) }));
    },
  );
  methodNotAllowed(app, KEYS_PATH, ['GET', 'POST']);

  app.delete(
    `${KEYS_PATH}:uuid/`,
    {
      schema: {
        tags: ['administration'],
        summary: 'Revoke an API key at once (administrator)',
        params: Type.Object({ name: OrganizationParams.properties.name, uuid: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      requireAdmin(request);
      if (request.validationError) throw notFound();
      const organization = await requireOrganization(app, request, request.params.name);
      if (!(await revokeApiKey(app.db, organization.id, request.params.uuid))) throw notFound();
      return reply.code(204).send(null);
    },
  );
  methodNotAllowed(app, `${KEYS_PATH}:uuid/`, ['DELETE']);
  done();
};

export default apiKeysRoute;
