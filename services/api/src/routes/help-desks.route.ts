import { accessCheck, canAccess, ownOrganization } from '../auth/access.js';
import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  CreateHelpDeskBody,
  ERROR_MESSAGES,
  HelpDeskStatusBody,
  PaginationHeaders,
  UuidParams,
  helpDeskListQuery,
  historyQuery,
  serializeHelpDesk,
  serializeMessage,
} from '@helpdesk/shared';
import { findClientId } from '../db/client.repository.js';
import {
  createHelpDesk,
  findHelpDesk,
  getHelpDeskRecord,
  listHelpDesks,
  listHelpDesksPage,
} from '../db/help-desk.repository.js';
import { findHistoryPage, listMessages } from '../db/message.repository.js';
import { fieldError, notFound } from '../http/api-error.js';
import { DRF_MESSAGES } from '../http/drf-messages.js';
import { coercingQueryValidator } from '../http/query-validator.js';
import { rejectInvalidRequest } from '../http/validation-errors.js';
import { decodeHelpDeskCursor, encodeHelpDeskCursor } from '../pagination/help-desk-cursor.js';
import { nextPageLink } from '../pagination/link-header.js';
import { changeHelpDeskStatus } from '../services/lifecycle.service.js';
import { errorResponses } from './error-responses.js';
import { requireOrganization } from '../services/organization.service.js';

const BEFORE_NEEDS_LIMIT = 'This field is required when "before" is given.';
const INVALID_CURSOR = 'Invalid cursor.';

/** The list's `search` as the repository takes it: trimmed, and undefined when that leaves nothing. */
function searchText(search: string | undefined): string | undefined {
  // Postgres text cannot hold NUL: refused as DRF's CharField refuses it, not a 500.
  if (search?.includes('\u0000')) throw fieldError('search', DRF_MESSAGES.nullCharacters);
  const trimmed = search?.trim();
  return trimmed === '' ? undefined : trimmed;
}

const helpDesksRoute: FastifyPluginCallbackTypebox<{ maxPageLimit: number }> = (app, { maxPageLimit }, done) => {
  app.get(
    '/api/help-desks/',
    {
      schema: {
        tags: ['contract'],
        summary: "An organization's help desks, most recent activity first",
        description:
          "Without `limit`, every help desk (the contract). With it, one page; the next page's URL is in " +
          'the `Link` header (rel="next"), absent on the last page. A help desk that moves to the top of ' +
          'the list while you walk it (a new message) is not repeated; its update_helpdesk event tells you. ' +
          "`search` keeps the help desks whose client's name or phone contains the text (case-insensitive, " +
          'literal: `%` and `_` are no wildcards), in the same order and pages; the Link keeps it.',
        querystring: helpDeskListQuery(maxPageLimit),
        response: {
          200: Type.Array(Type.Ref('HelpDesk'), { headers: PaginationHeaders }),
          ...errorResponses(400, 404),
        },
      },
      validatorCompiler: coercingQueryValidator,
    },
    async (request, reply) => {
      const { limit, before, status } = request.query;
      if (before !== undefined && limit === undefined) throw fieldError('limit', BEFORE_NEEDS_LIMIT);
      const search = searchText(request.query.search);
      const organization = await requireOrganization(
        app.db,
        accessCheck(request),
        request.query.organization,
        ownOrganization(request),
      );
      const baseUrl = app.publicOrigin();
      if (limit === undefined) {
        return (await listHelpDesks(app.db, organization.id, { status, search })).map((record) =>
          serializeHelpDesk(record, baseUrl),
        );
      }
      const after = before === undefined ? undefined : decodeHelpDeskCursor(before);
      if (before !== undefined && after === undefined) throw fieldError('before', INVALID_CURSOR);
      const page = await listHelpDesksPage(app.db, organization.id, { limit, after, status, search });
      if (page.next !== undefined) {
        void reply.header(
          'link',
          nextPageLink('/api/help-desks/', {
            organization: organization.name,
            limit,
            status,
            search,
            before: encodeHelpDeskCursor(page.next),
          }),
        );
      }
      return page.records.map((record) => serializeHelpDesk(record, baseUrl));
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
      const organization = await requireOrganization(
        app.db,
        accessCheck(request),
        request.body.organization,
        ownOrganization(request),
      );
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
        description:
          'Without `limit`, every message (the contract). With it, the newest `limit` messages, or the ' +
          "`limit` before the message `before`, still oldest first; the next (older) page's URL is in the " +
          '`Link` header (rel="next"), absent on the oldest page.',
        params: UuidParams,
        querystring: historyQuery(maxPageLimit),
        response: {
          200: Type.Array(Type.Ref('Message'), { headers: PaginationHeaders }),
          ...errorResponses(400, 404),
        },
      },
      validatorCompiler: coercingQueryValidator,
      // A malformed uuid is simply not found, as Django's URL resolver would answer.
      attachValidation: true,
    },
    async (request, reply) => {
      rejectInvalidRequest(request);
      const { limit, before } = request.query;
      if (before !== undefined && limit === undefined) throw fieldError('limit', BEFORE_NEEDS_LIMIT);
      const baseUrl = app.publicOrigin();
      if (limit === undefined) {
        const helpDesk = await findHelpDesk(app.db, request.params.uuid);
        if (!helpDesk || !canAccess(request, helpDesk.organizationId)) throw notFound();
        return (await listMessages(app.db, helpDesk.id, helpDesk.uuid)).map((record) =>
          serializeMessage(record, baseUrl),
        );
      }
      const found = await findHistoryPage(app.db, request.params.uuid, { limit, before });
      if (found.found === 'no-help-desk' || !canAccess(request, found.helpDesk.organizationId)) throw notFound();
      // Only a message of this help desk is a position in it: any other (unknown, or another
      // organization's) is the same 400, so it tells nothing about what exists elsewhere.
      if (found.found === 'no-position') throw fieldError('before', ERROR_MESSAGES.doesNotExist(before as string));
      const { helpDesk, page } = found;
      if (page.next !== undefined) {
        void reply.header(
          'link',
          nextPageLink(`/api/help-desks/${helpDesk.uuid}/history/`, { limit, before: page.next }),
        );
      }
      return page.records.map((record) => serializeMessage(record, baseUrl));
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
