import type { FastifyValidationResult } from 'fastify/types/schema.js';
import { Ajv, type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import { addApiFormats, AJV_OPTIONS } from './ajv-options.js';

// A query string holds only text, so `?limit=50` must become the integer its schema declares
// (the OpenAPI document, and the client's generated types, say integer). Bodies keep the api's
// strict typing (AJV_OPTIONS: no coercion, a JSON "5" is not 5), so only routes with numeric
// query parameters use this compiler, for their query string and path.
const ajv = new Ajv({ ...AJV_OPTIONS, coerceTypes: true, removeAdditional: true });
addFormats.default(ajv, ['uuid']);
addApiFormats(ajv);

/** A route's `validatorCompiler` for a GET whose query string has numbers. */
export function coercingQueryValidator({ schema }: { schema: unknown }): FastifyValidationResult {
  return ajv.compile(schema as AnySchema);
}
