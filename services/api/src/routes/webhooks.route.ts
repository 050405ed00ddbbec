import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OrganizationParams, pgTimestampToIso, SetWebhookBody, WebhookSchema } from '@helpdesk/shared';
import { accessCheck, requireAdmin } from '../auth/access.js';
import { deleteWebhook, findWebhook, setWebhook, type WebhookRecord } from '../db/webhook.repository.js';
import { fieldError, notFound } from '../http/api-error.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from '../services/organization.service.js';
import { urlRefusal } from '../delivery/outbound-address.js';

const WEBHOOK_PATH = '/api/organizations/:name/webhook/';

const answer = (record: WebhookRecord) => ({
  url: record.url,
  created_at: pgTimestampToIso(record.created_at),
  updated_at: pgTimestampToIso(record.updated_at),
});

export interface WebhooksRouteOptions {
  /** WEBHOOK_ALLOW_PRIVATE: accept URLs of loopback, link-local and private addresses. */
  allowPrivateAddresses: boolean;
}

/** How long setting a webhook waits for its host name to resolve before accepting it unchecked. */
const RESOLVE_TIMEOUT_MS = 3000;

/** Administration (ours, issue 4, item 4): an organization's delivery webhook. */
const webhooksRoute: FastifyPluginCallbackTypebox<WebhooksRouteOptions> = (app, options, done) => {
  app.addSchema(WebhookSchema);

  app.put(
    WEBHOOK_PATH,
    {
      schema: {
        tags: ['administration'],
        summary: "Set an organization's delivery webhook (administrator)",
        description:
          'From now on its `sent` messages stay `sending` until the webhook answers 2xx (then `sent`), ' +
          'or fail after the last retry (`failed`). A URL whose host is (or resolves to) a loopback, ' +
          'link-local or private address is refused unless the server allows them (WEBHOOK_ALLOW_PRIVATE).',
        params: OrganizationParams,
        body: SetWebhookBody,
        response: { 200: Type.Ref('Webhook'), ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request) => {
      requireAdmin(request);
      const organization = await requireOrganization(app.db, accessCheck(request), request.params.name);
      if (!isHttpUrl(request.body.url)) throw fieldError('url', 'Enter a valid URL.');
      if (!options.allowPrivateAddresses) {
        const refused = await urlRefusal(new URL(request.body.url), RESOLVE_TIMEOUT_MS);
        if (refused !== undefined) throw fieldError('url', `${refused}.`);
      }
      return answer(await setWebhook(app.db, organization.id, request.body));
    },
  );

  app.get(
    WEBHOOK_PATH,
    {
      schema: {
        tags: ['administration'],
        summary: "An organization's delivery webhook, without its secret (administrator)",
        params: OrganizationParams,
        response: { 200: Type.Ref('Webhook'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      requireAdmin(request);
      const organization = await requireOrganization(app.db, accessCheck(request), request.params.name);
      const webhook = await findWebhook(app.db, organization.id);
      if (!webhook) throw notFound();
      return answer(webhook);
    },
  );

  app.delete(
    WEBHOOK_PATH,
    {
      schema: {
        tags: ['administration'],
        summary: 'Remove the delivery webhook: messages become `sent` once stored (administrator)',
        params: OrganizationParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const organization = await requireOrganization(app.db, accessCheck(request), request.params.name);
      if (!(await deleteWebhook(app.db, organization.id))) throw notFound();
      return reply.code(204).send(null);
    },
  );
  done();
};

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export default webhooksRoute;
