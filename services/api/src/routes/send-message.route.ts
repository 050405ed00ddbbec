import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SendMessageFields } from '@helpdesk/shared';
import { detail, fieldError } from '../http/api-error.js';
import { fileBaseUrl } from '../http/base-url.js';
import { methodNotAllowed } from '../http/error-handler.js';
import { compileFieldValidator } from '../http/field-validator.js';
import { readMultipart, type SpooledFile } from '../http/multipart-input.js';
import { sendMessage } from '../services/send-message.service.js';
import { errorResponses } from './error-responses.js';

export interface SendMessageRouteOptions {
  publicBaseUrl: string | undefined;
  uploadSpoolDir: string;
  limits: { fileBytes: number; messageChars: number };
}

const validateMultipartFields = compileFieldValidator<SendMessageFields>(SendMessageFields);

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

const sendMessageRoute: FastifyPluginAsyncTypebox<SendMessageRouteOptions> = async (app, options) => {
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
        response: { 201: Type.Ref('Message'), ...errorResponses(400, 413, 415) },
      },
    },
    async (request, reply) => {
      let fields: SendMessageFields;
      let file: SpooledFile | undefined;
      if (request.isMultipart()) {
        const input = await readMultipart(request, options.uploadSpoolDir, {
          fileBytes: options.limits.fileBytes,
          fieldBytes: options.limits.messageChars * 4,
        });
        file = input.file;
        try {
          fields = validateMultipartFields(input.fields);
        } catch (error) {
          await file?.discard();
          throw error;
        }
      } else {
        if (request.body === undefined || request.body === null) throw detail(400, 'The request has no body.');
        fields = request.body as SendMessageFields;
      }

      const message = fields.message ?? '';
      try {
        if (message.length > options.limits.messageChars) {
          throw fieldError('message', `Ensure this field has no more than ${options.limits.messageChars} characters.`);
        }
        if (message.trim() === '' && !file) {
          throw fieldError('message', 'This field may not be blank when no file is sent.');
        }
      } catch (error) {
        await file?.discard();
        throw error;
      }

      const created = await sendMessage(
        { db: app.db, files: app.files, events: app.events, log: request.log },
        { helpDeskUuid: fields.help_desk, message, file, fileBaseUrl: fileBaseUrl(request, options.publicBaseUrl) },
      );
      return reply.code(201).send(created);
    },
  );
  methodNotAllowed(app, '/api/send-message/', ['POST']);
};

export default sendMessageRoute;
