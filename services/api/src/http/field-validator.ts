import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { addApiFormats, AJV_OPTIONS } from './ajv-options.js';
import { ApiError } from './api-error.js';
import { toFieldErrors } from './validation-errors.js';

// Multipart fields are not validated by Fastify's body schema (the body is a stream), so the
// send-message route checks them here against the same shared schema, with the same messages.
const ajv = new Ajv(AJV_OPTIONS);
addFormats.default(ajv, ['uuid']);
addApiFormats(ajv);

export function compileFieldValidator<T>(schema: TSchema): (data: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (data) => {
    if (!validate(data)) throw new ApiError(400, toFieldErrors(validate.errors ?? []));
    return data as T;
  };
}
