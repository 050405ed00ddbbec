import type {} from '@fastify/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';
import {
  IdempotencyError,
  InvalidFieldError,
  NotFoundError,
  StorageQuotaError,
  type IdempotencyRefusal,
} from '../services/domain-errors.js';
import { ApiError } from './api-error.js';
import { DRF_MESSAGES } from './drf-messages.js';
import { methodNotAllowed, SERVED_METHODS } from './method-not-allowed.js';
import { toFieldErrors } from './validation-errors.js';

/**
 * Every error leaves in DRF's shape: field errors as `{"field": ["..."]}` with 400, anything else
 * as `{"detail": "..."}` with its status. Nothing a client sends produces a 500.
 */
export function installErrorHandling(app: FastifyInstance, limits: { bodyBytes: number; fileBytes: number }): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.body);
    }
    if (error instanceof NotFoundError) return reply.code(404).send(detailError(ERROR_MESSAGES.notFound));
    if (error instanceof InvalidFieldError) return reply.code(400).send({ [error.field]: [error.message] });
    if (error instanceof StorageQuotaError) return reply.code(413).send(detailError(error.message));
    if (error instanceof IdempotencyError) {
      return reply.code(IDEMPOTENCY_STATUS[error.refusal]).send(detailError(error.message));
    }
    if (error.validation) {
      return reply.code(400).send(toFieldErrors(error.validation));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply
          .code(415)
          .send(detailError(ERROR_MESSAGES.unsupportedMediaType(request.headers['content-type'] ?? '')));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(detailError(`Request body is larger than ${limits.bodyBytes} bytes.`));
      case 'FST_REQ_FILE_TOO_LARGE':
        return reply.code(413).send(detailError(`File is larger than ${limits.fileBytes} bytes.`));
      case 'FST_FILES_LIMIT':
        return reply.code(413).send(detailError('Too many files: send one, as "file".'));
      case 'FST_PARTS_LIMIT':
      case 'FST_FIELDS_LIMIT':
        return reply.code(413).send(detailError('Too many form fields.'));
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        return reply
          .code(415)
          .send(detailError(ERROR_MESSAGES.unsupportedMediaType(request.headers['content-type'] ?? '')));
      // A part named like an Object.prototype member, or a part declared JSON that is not: the form is malformed.
      case 'FST_PROTO_VIOLATION':
      case 'FST_INVALID_JSON_FIELD_ERROR':
        return reply.code(400).send(detailError(DRF_MESSAGES.multipartParseError(error.message)));
      default:
        break;
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(detailError(error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(detailError('A server error occurred.'));
  });

  // A method no route serves anywhere (TRACE, PROPFIND …) on a path that is not the api's: 405,
  // as Node's parser refusing one it does not know (FOO) is answered (protocol-errors.ts).
  app.setNotFoundHandler((request, reply) =>
    SERVED_METHODS.has(request.method)
      ? reply.code(404).send(detailError(ERROR_MESSAGES.notFound))
      : reply.code(405).send(methodNotAllowed(request.method)),
  );
}

const IDEMPOTENCY_STATUS: Record<IdempotencyRefusal, number> = {
  'invalid-key': 400,
  'in-progress': 409,
  reused: 422,
  'taken-over': 409,
};

/**
 * Fastify's `frameworkErrors`: errors found while routing, which would otherwise leave in
 * Fastify's own shape. A path that is not valid percent-encoding or has an over-long segment
 * matches no route, as Django would say.
 */
export function answerRoutingError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(404).send(detailError(ERROR_MESSAGES.notFound));
    return;
  }
  request.log.error({ err: error }, 'request failed while routing');
  void reply.code(500).send(detailError('A server error occurred.'));
}
