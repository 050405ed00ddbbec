import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { organizationScope } from '../auth/access.js';
import { Type } from '@sinclair/typebox';
import { SendMessageFields } from '@helpdesk/shared';
import { fieldError } from '../http/api-error.js';
import { DRF_MESSAGES } from '../http/drf-messages.js';
import { compileFieldValidator } from '../http/field-validator.js';
import { takeMessage, type MessageRouteOptions } from '../http/message-intake.js';
import { sendMessage } from '../services/send-message.service.js';
import { errorResponses, IdempotencyHeaders } from './error-responses.js';

const validateFields = compileFieldValidator<SendMessageFields>(SendMessageFields);

// For the docs: the multipart body is a stream (Fastify sees it as null), so null passes here and
// the fields are checked in the handler against SendMessageFields.
const MultipartDoc = {
  type: 'object',
  nullable: true,
  properties: {
    message: { type: 'string' },
    help_desk: { type: 'string', format: 'uuid' },
    file: { type: 'string', format: 'binary' },
  },
  required: ['help_desk'],
};

const sendMessageRoute: FastifyPluginCallbackTypebox<MessageRouteOptions> = (app, options, done) => {
  app.post(
    '/api/send-message/',
    {
      schema: {
        tags: ['contract'],
        summary: 'Send a message (organization to client), with an optional file',
        description:
          'JSON, form-urlencoded or multipart. Creates a `sent` message and answers it. Sockets of the ' +
          'organization receive new_message, update_helpdesk and update_message.',
        body: {
          content: {
            'application/json': { schema: SendMessageFields },
            'application/x-www-form-urlencoded': { schema: SendMessageFields },
            'multipart/form-data': { schema: MultipartDoc },
          },
        },
        headers: IdempotencyHeaders,
        response: { 201: Type.Ref('Message'), ...errorResponses(400, 409, 413, 415, 422) },
      },
    },
    (request, reply) =>
      takeMessage(app, request, reply, options, {
        parse(raw, multipart) {
          // No body at all is no fields, as DRF reads it; JSON and form bodies were validated by Fastify.
          const fields = multipart || raw === undefined ? validateFields(raw ?? {}) : (raw as SendMessageFields);
          // A `file` that is not an uploaded file (JSON, a form field, a text part): DRF's FileField refuses it.
          if (fields.file !== undefined && fields.file !== null && fields.file !== '') {
            throw fieldError('file', DRF_MESSAGES.notAFile);
          }
          return fields;
        },
        lookUp: () => undefined,
        asked: (fields) => ({ help_desk: fields.help_desk }),
        store: (message) =>
          sendMessage(
            {
              db: app.db,
              files: app.files,
              relay: app.relay,
              deliveries: app.deliveries,
              log: request.log,
              storageQuotaBytes: options.limits.storageBytesPerOrganization,
            },
            {
              helpDeskUuid: message.fields.help_desk,
              message: message.text,
              file: message.file,
              fileBaseUrl: message.fileBaseUrl,
              organizationScope: organizationScope(request),
              recordAnswer: message.recordAnswer,
            },
          ),
      }),
  );
  done();
};

export default sendMessageRoute;
