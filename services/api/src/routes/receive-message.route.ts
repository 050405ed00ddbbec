import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { OrganizationName } from '@helpdesk/shared';
import { principalOf } from '../auth/access.js';
import { fieldError } from '../http/api-error.js';
import { beginIdempotent, REPLAYED_HEADER } from '../http/idempotency.js';
import { DRF_MESSAGES } from '../http/drf-messages.js';
import { methodNotAllowed } from '../http/error-handler.js';
import { compileFieldValidator } from '../http/field-validator.js';
import { readMultipart, type SpooledFile } from '../http/multipart-input.js';
import { receiveMessage } from '../services/receive-message.service.js';
import { errorResponses, IdempotencyHeaders } from './error-responses.js';
import { requireOrganization } from './organization-lookup.js';
import { messageProblem, type SendMessageRouteOptions } from './send-message.route.js';

const ClientName = Type.String({ minLength: 1, maxLength: 255 });
const ClientPhone = Type.String({ minLength: 1, maxLength: 32 });
const OrganizationField = Type.Optional(
  Type.Unsafe<string>({ ...OrganizationName, description: "Needed with an administrator's key; else the key's own" }),
);

export const ReceiveMessageFields = Type.Object({
  organization: OrganizationField,
  client: Type.Object({ name: ClientName, phone: ClientPhone }),
  message: Type.Optional(Type.String()),
});
export type ReceiveMessageFields = Static<typeof ReceiveMessageFields>;

/** A form names the client's fields by their path, as errors do: `client.name`, `client.phone`. */
const ReceiveMessageForm = Type.Object({
  organization: OrganizationField,
  'client.name': ClientName,
  'client.phone': ClientPhone,
  message: Type.Optional(Type.String()),
});

const MultipartDoc = {
  type: 'object',
  nullable: true,
  description: 'The client as a JSON part `client`, or as fields `client.name` and `client.phone`',
  properties: {
    organization: { type: 'string' },
    client: { type: 'string', description: 'JSON: {"name", "phone"}' },
    'client.name': { type: 'string' },
    'client.phone': { type: 'string' },
    message: { type: 'string' },
    file: { type: 'string', format: 'binary' },
  },
};

const validateFields = compileFieldValidator<ReceiveMessageFields>(ReceiveMessageFields);

/** Form and multipart fields in the JSON body's shape: `client.name` → `client: {name}`. */
function nested(fields: Record<string, unknown>): Record<string, unknown> {
  if ('client' in fields || !('client.name' in fields || 'client.phone' in fields)) return fields;
  const { 'client.name': name, 'client.phone': phone, ...rest } = fields;
  const client: Record<string, unknown> = {};
  if (name !== undefined) client.name = name;
  if (phone !== undefined) client.phone = phone;
  return { ...rest, client };
}

/**
 * Inbound messages (ours, issue 4, item 3): what a channel provider (a WhatsApp-like service)
 * posts when a client writes to the organization.
 */
const receiveMessageRoute: FastifyPluginCallbackTypebox<SendMessageRouteOptions> = (app, options, done) => {
  app.post(
    '/api/receive-message/',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Receive a message (client to organization), with an optional file',
        description:
          'JSON, form-urlencoded or multipart. Finds or creates the client by phone and its open help desk, stores a `received` message and answers it. Sockets of the organization receive new_message and update_helpdesk.',
        body: {
          content: {
            'application/json': { schema: ReceiveMessageFields },
            'application/x-www-form-urlencoded': { schema: ReceiveMessageForm },
            'multipart/form-data': { schema: MultipartDoc },
          },
        },
        headers: IdempotencyHeaders,
        response: { 201: Type.Ref('Message'), ...errorResponses(400, 401, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const baseUrl = app.publicOrigin();
      let fields: ReceiveMessageFields;
      let file: SpooledFile | undefined;
      try {
        if (request.isMultipart()) {
          const input = await readMultipart(request, options.uploadSpoolDir, {
            fileBytes: options.limits.fileBytes,
            fieldBytes: options.limits.messageChars * 4,
          });
          file = input.file;
          fields = validateFields(nested(input.fields));
        } else {
          fields = validateFields(nested((request.body ?? {}) as Record<string, unknown>));
        }
        // Trimmed before its checks, as DRF's CharField does (and send-message).
        const text = fields.message?.trim();
        const problem = messageProblem(text, file !== undefined, options.limits.messageChars);
        if (problem !== undefined) throw fieldError('message', problem);
        const principal = principalOf(request);
        let organizationName = fields.organization;
        if (organizationName === undefined) {
          if (principal.kind !== 'organization') throw fieldError('organization', DRF_MESSAGES.required);
          organizationName = principal.organizationName;
        }
        const organization = await requireOrganization(app, request, organizationName);
        const idempotent = await beginIdempotent(app, request, options.idempotencyTtlSeconds, {
          fields,
          organization: organization.name,
          file: file && { name: file.name, size: file.size, contentType: file.contentType },
        });
        // Only 201 answers are stored (a failed request releases its key).
        if (idempotent.kind === 'replay') {
          return await reply
            .code(idempotent.statusCode as 201)
            .header(REPLAYED_HEADER, 'true')
            .send(idempotent.body);
        }
        let message;
        try {
          message = await receiveMessage(
            { db: app.db, files: app.files, relay: app.relay, log: request.log },
            {
              organization,
              client: fields.client,
              message: text ?? '',
              file,
              fileBaseUrl: baseUrl,
              recordAnswer: (trx, answer) => idempotent.record(trx, 201, answer),
            },
          );
        } catch (error) {
          await idempotent.release();
          throw error;
        }
        return await reply.code(201).send(message);
      } finally {
        await file?.discard();
      }
    },
  );
  methodNotAllowed(app, '/api/receive-message/', ['POST']);
  done();
};

export default receiveMessageRoute;
