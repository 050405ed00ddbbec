import type {} from '@fastify/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';
import { ApiError } from './api-error.js';
import { toFieldErrors } from './validation-errors.js';

/**
 * Every error leaves in DRF's shape: field errors as `{"field": ["..."]}` with 400, anything else
 * as `{"detail": "..."}` with its status. Nothing a client sends produces a 500.
 */
export function installErrorHandling(app: FastifyInstance, limits: { bodyBytes: number; fileBytes: number }): void {
  app.setErrorHandler((error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.body);
    }
    if (error.validation) {
      return reply.code(400).send(toFieldErrors(error.validation));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send(detailError(ERROR_MESSAGES.unsupportedMediaType(request.headers['content-type'] ?? '')));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(detailError(`Request body is larger than ${limits.bodyBytes} bytes.`));
      case 'FST_REQ_FILE_TOO_LARGE':
        return reply.code(413).send(detailError(`File is larger than ${limits.fileBytes} bytes.`));
      case 'FST_FILES_LIMIT':
        return reply.code(413).send(detailError('Only one file may be sent.'));
      case 'FST_PARTS_LIMIT':
      case 'FST_FIELDS_LIMIT':
        return reply.code(413).send(detailError('Too many form fields.'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.code(400).send(detailError('JSON parse error - the body is empty.'));
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.code(400).send(detailError(`JSON parse error - ${error.message}`));
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        return reply.code(415).send(detailError(ERROR_MESSAGES.unsupportedMediaType(request.headers['content-type'] ?? '')));
      default:
        break;
    }
    if (error instanceof SyntaxError) {
      return reply.code(400).send(detailError(`JSON parse error - ${error.message}`));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(detailError(error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(detailError('A server error occurred.'));
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(detailError(ERROR_MESSAGES.notFound)));
}

const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;

/**
 * DRF answers a known path with an unsupported method as 405 with an Allow header (not 404).
 * Registers that answer for the methods `url` does not serve.
 */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[]): void {
  const served = new Set(allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed);
  const others = ALL_METHODS.filter((m) => !served.has(m));
  app.route({
    method: others,
    url,
    schema: { hide: true },
    handler: (request, reply) =>
      reply
        .code(405)
        .header('allow', [...served].join(', '))
        .send(detailError(ERROR_MESSAGES.methodNotAllowed(request.method))),
  });
}
