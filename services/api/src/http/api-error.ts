import { detailError, ERROR_MESSAGES, type DetailError, type FieldErrors } from '@helpdesk/shared';

/** An error answered to the client in Django REST Framework's shape (CONTRACT.md). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: DetailError | FieldErrors,
    readonly headers: Record<string, string> = {},
  ) {
    super('detail' in body && typeof body.detail === 'string' ? body.detail : JSON.stringify(body));
    this.name = 'ApiError';
  }
}

export function fieldError(field: string, message: string): ApiError {
  return new ApiError(400, { [field]: [message] });
}

export function notFound(): ApiError {
  return new ApiError(404, detailError(ERROR_MESSAGES.notFound));
}

export function detail(statusCode: number, message: string, headers?: Record<string, string>): ApiError {
  return new ApiError(statusCode, detailError(message), headers);
}

/** 429 in DRF's wording, with Retry-After. */
export function throttled(retryAfterSeconds: number): ApiError {
  return detail(429, `Request was throttled. Expected available in ${retryAfterSeconds} seconds.`, {
    'retry-after': String(retryAfterSeconds),
  });
}
