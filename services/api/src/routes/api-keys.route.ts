import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type, type TObject } from '@sinclair/typebox';
import { CreateApiKeyBody, OrganizationParams, pgTimestampToIso } from '@helpdesk/shared';
import { accessCheck, requireAdmin } from '../auth/access.js';
import { generateApiKey, hashApiKey } from '../auth/api-key-secret.js';
import { insertApiKey, listApiKeys, revokeApiKey } from '../db/api-key.repository.js';
import { notFound } from '../http/api-error.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from '../services/organization.service.js';

/** Whose keys a path manages: an organization's, or the administrators' (null). */
interface KeyScope {
  path: string;
  /** What the summaries call the keys. */
  whose: string;
  params: TObject;
  /** The organization's id, or null for administrator keys; throws 404 for an unknown one. */
  owner(app: FastifyInstance, request: FastifyRequest): Promise<string | null>;
}

const ORGANIZATION_KEYS: KeyScope = {
  path: '/api/organizations/:name/api-keys/',
  whose: "an organization's",
  params: OrganizationParams,
  owner: async (app, request) =>
    (await requireOrganization(app.db, accessCheck(request), (request.params as { name: string }).name)).id,
};

const ADMIN_KEYS: KeyScope = {
  path: '/api/admin-keys/',
  whose: "administrators'",
  params: Type.Object({}),
  owner: () => Promise.resolve(null),
};

/**
 * Administration (ours): API keys, an organization's or the administrators'. The secret is
 * answered once, at creation. A revoked key stops working at once on every replica (each drops it from
 * its key cache when the revocation is announced), and the gateways close the sockets its tickets opened.
 */
const apiKeysRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  for (const scope of [ORGANIZATION_KEYS, ADMIN_KEYS]) registerKeyRoutes(app, scope);
  done();
};

function registerKeyRoutes(app: FastifyInstance, scope: KeyScope): void {
  app.post(
    scope.path,
    {
      schema: {
        tags: ['administration'],
        summary: `Create an API key, ${scope.whose} (administrator)`,
        params: scope.params,
        body: CreateApiKeyBody,
        response: { 201: Type.Ref('CreatedApiKey'), ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const owner = await scope.owner(app, request);
      const key = generateApiKey();
      const record = await insertApiKey(app.db, {
        uuid: randomUUID(),
        organizationId: owner,
        name: (request.body as CreateApiKeyBody).name,
        keyHash: hashApiKey(key),
      });
      return reply
        .code(201)
        .send({ uuid: record.uuid, name: record.name, key, created_at: pgTimestampToIso(record.created_at) });
    },
  );

  app.get(
    scope.path,
    {
      schema: {
        tags: ['administration'],
        summary: `Active API keys, ${scope.whose}, without secrets (administrator)`,
        params: scope.params,
        response: { 200: Type.Array(Type.Ref('ApiKey')), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      requireAdmin(request);
      const keys = await listApiKeys(app.db, await scope.owner(app, request));
      return keys.map((k) => ({ uuid: k.uuid, name: k.name, created_at: pgTimestampToIso(k.created_at) }));
    },
  );

  app.delete(
    `${scope.path}:uuid/`,
    {
      schema: {
        tags: ['administration'],
        summary: `Revoke an API key at once, ${scope.whose} (administrator)`,
        params: Type.Object({ ...scope.params.properties, uuid: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      requireAdmin(request);
      if (request.validationError) throw notFound();
      const owner = await scope.owner(app, request);
      const { uuid } = request.params as { uuid: string };
      if (!(await revokeApiKey(app.db, owner, uuid))) throw notFound();
      // This replica at once; the others (and this one again) hear the announcement.
      app.keyOwners.revoke(uuid);
      await app.keyRevocations.announce(uuid);
      return reply.code(204).send(null);
    },
  );
}

export default apiKeysRoute;
