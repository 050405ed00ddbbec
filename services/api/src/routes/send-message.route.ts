import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { organizationScope } from '../auth/access.js';
import { Type } from '@sinclair/typebox';
import { SendMessageFields } from '@helpdesk/shared';
import { fieldError } from '../http/api-error.js';
import { DRF_MESSAGES } from '../http/drf-messages.js';
import { beginIdempotent, REPLAYED_HEADER } from '../http/idempotency.js';
import { methodNotAllowed } from '../http/error-handler.js';
import { compileFieldValidator } from '../http/field-validator.js';
import { readMultipart, type SpooledFile } from '../http/multipart-input.js';
import { sendMessage } from '../services/send-message.service.js';
import { errorResponses, IdempotencyHeaders } from './error-responses.js';

export interface SendMessageRouteOptions {
  idempotencyTtlSeconds: number;
  uploadSpoolDir: string;
  limits: { fileBytes: number; messageChars: number };
}

const validateFields = compileFieldValidator<SendMessageFields>(SendMessageFields);

/**
 * What is wrong with the message text, in DRF's words, or undefined. A message needs text or a
 * file. Length counts characters (code points) as Python does, not UTF-16 units.
 */
export function messageProblem(message: string | undefined, hasFile: boolean, maxChars: number): string | undefined {
  if (message === undefined) return hasFile ? undefined : DRF_MESSAGES.required;
  if (message.includes('\u0000')) return DRF_MESSAGES.nullCharacters;
  if (characterCount(message, maxChars) > maxChars) return DRF_MESSAGES.maxLength(maxChars);
  if (message.trim() === '' && !hasFile) return DRF_MESSAGES.blank;
  return undefined;
}

/** Code points in `text`, counting no further than just past `limit`. */
function characterCount(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  let count = 0;
  for (const _ of text) if (++count > limit) break;
  return count;
}

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

const sendMessageRoute: FastifyPluginCallbackTypebox<SendMessageRouteOptions> = (app, options, done) => {
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
    async (request, reply) => {
      const baseUrl = app.publicOrigin();
      let fields: SendMessageFields;
      let file: SpooledFile | undefined;
      if (request.isMultipart()) {
        const input = await readMultipart(request, options.uploadSpoolDir, {
          fileBytes: options.limits.fileBytes,
          fieldBytes: options.limits.messageChars * 4,
        });
        file = input.file;
        try {
          fields = validateFields(input.fields);
        } catch (error) {
          await file?.discard();
          throw error;
        }
      } else {
        // No body at all is no fields, as DRF reads it; JSON and form bodies were validated by Fastify.
        fields = request.body === undefined ? validateFields({}) : (request.body as SendMessageFields);
      }

      // A `file` that is not an uploaded file (JSON, a form field, a text part): DRF's FileField refuses it.
      if (fields.file !== undefined && fields.file !== null && fields.file !== '') {
        await file?.discard();
        throw fieldError('file', DRF_MESSAGES.notAFile);
      }
      // DRF's CharField trims by default, before its checks: stored and answered without
      // surrounding whitespace, its length counted without it.
      const text = fields.message?.trim();
      const problem = messageProblem(text, file !== undefined, options.limits.messageChars);
      if (problem !== undefined) {
        await file?.discard();
        throw fieldError('message', problem);
      }

      let idempotent;
      try {
        idempotent = await beginIdempotent(app, request, options.idempotencyTtlSeconds, {
          fields,
          file: file && { name: file.name, size: file.size, contentType: file.contentType },
        });
      } catch (error) {
        await file?.discard();
        throw error;
      }
      // Only 201 answers are stored (a failed request releases its key).
      if (idempotent.kind === 'replay') {
        await file?.discard();
        return reply
          .code(idempotent.statusCode as 201)
          .header(REPLAYED_HEADER, 'true')
          .send(idempotent.body);
      }
      let created;
      try {
        created = await sendMessage(
          { db: app.db, files: app.files, relay: app.relay, deliveries: app.deliveries, log: request.log },
          {
            helpDeskUuid: fields.help_desk,
            message: text ?? '',
            file,
            fileBaseUrl: baseUrl,
            organizationScope: organizationScope(request),
            recordAnswer: (trx, answer) => idempotent.record(trx, 201, answer),
          },
        );
      } catch (error) {
        await idempotent.release();
        throw error;
      }
      return reply.code(201).send(created);
    },
  );
  methodNotAllowed(app, '/api/send-message/', ['POST']);
  done();
};

export default sendMessageRoute;
