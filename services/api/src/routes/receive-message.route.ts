import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ReceiveMessageFields, ReceiveMessageForm } from '@helpdesk/shared';
import { accessCheck, principalOf } from '../auth/access.js';
import { fieldError } from '../http/api-error.js';
import { DRF_MESSAGES } from '../http/drf-messages.js';
import { compileFieldValidator } from '../http/field-validator.js';
import { takeMessage, type MessageRouteOptions } from '../http/message-intake.js';
import { requireOrganization } from '../services/organization.service.js';
import { receiveMessage } from '../services/receive-message.service.js';
import { errorResponses, IdempotencyHeaders } from './error-responses.js';

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
const receiveMessageRoute: FastifyPluginCallbackTypebox<MessageRouteOptions> = (app, options, done) => {
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
    (request, reply) =>
      takeMessage(app, request, reply, options, {
        parse: (raw) => validateFields(nested(raw ?? {})),
        lookUp(fields) {
          const principal = principalOf(request);
          let organizationName = fields.organization;
          if (organizationName === undefined) {
            if (principal.kind !== 'organization') throw fieldError('organization', DRF_MESSAGES.required);
            organizationName = principal.organizationName;
          }
          return requireOrganization(app.db, accessCheck(request), organizationName);
        },
        asked: (fields, organization) => ({
          organization: organization.name,
          client: { name: fields.client.name, phone: fields.client.phone },
        }),
        store: (message) =>
          receiveMessage(
            {
              db: app.db,
              files: app.files,
              relay: app.relay,
              log: request.log,
              storageQuotaBytes: options.limits.storageBytesPerOrganization,
            },
            {
              organization: message.found,
              client: message.fields.client,
              message: message.text,
              file: message.file,
              fileBaseUrl: message.fileBaseUrl,
              recordAnswer: message.recordAnswer,
            },
          ),
      }),
  );
  done();
};

export default receiveMessageRoute;
