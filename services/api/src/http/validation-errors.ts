import type { FastifyRequest } from 'fastify';
import { ORGANIZATION_NAME_PATTERN, type FieldErrors } from '@helpdesk/shared';
import { ApiError, notFound } from './api-error.js';
import { DRF_MESSAGES, pythonTypeName } from './drf-messages.js';

/** The parts of an Ajv error (created with `verbose: true`, see ajv-options.ts) read below. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
  /** The keyword's value in the schema (verbose). */
  schema?: unknown;
  /** The schema holding the keyword (verbose). */
  parentSchema?: unknown;
  /** The value that failed (verbose). */
  data?: unknown;
}

// Organization names are a DRF SlugField(max_length=64) in one pattern; its two messages are split back out.
const ORGANIZATION_NAME_MAX = 64;

/**
 * Turns schema validation errors into DRF field errors: `{"help_desk": ["Must be a valid UUID."]}`.
 * Messages follow DRF's wording (drf-messages.ts), which old clients may show to people. A body
 * that is not an object at all is DRF's `non_field_errors`.
 */
export function toFieldErrors(errors: readonly SchemaError[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const error of errors) {
    // A nested field is named by its path: `client.phone`.
    const path = error.instancePath.split('/').filter((segment) => segment !== '' && !/^\d+$/.test(segment));
    if (error.keyword === 'required') path.push(String(error.params.missingProperty));
    const field = path.join('.') || 'non_field_errors';
    const message = messageFor(error);
    const list = (fields[field] ??= []);
    if (!list.includes(message)) list.push(message);
  }
  return fields;
}

function messageFor(error: SchemaError): string {
  const { data } = error;
  switch (error.keyword) {
    case 'required':
      return DRF_MESSAGES.required;
    case 'type':
      return typeMessage(error);
    case 'format':
      return error.params.format === 'uuid' ? DRF_MESSAGES.invalidUuid : DRF_MESSAGES.invalid;
    case 'minLength':
      return error.params.limit === 1 ? DRF_MESSAGES.blank : DRF_MESSAGES.minLength(Number(error.params.limit));
    case 'maxLength':
      return DRF_MESSAGES.maxLength(Number(error.params.limit));
    case 'minimum':
      return DRF_MESSAGES.minValue(Number(error.params.limit));
    case 'maximum':
      return DRF_MESSAGES.maxValue(Number(error.params.limit));
    case 'pattern':
      if (error.schema === ORGANIZATION_NAME_PATTERN && typeof data === 'string') {
        if (data === '') return DRF_MESSAGES.blank;
        if ([...data].length > ORGANIZATION_NAME_MAX) return DRF_MESSAGES.maxLength(ORGANIZATION_NAME_MAX);
        return DRF_MESSAGES.slug;
      }
      return DRF_MESSAGES.pattern;
    case 'enum':
    case 'const':
    case 'anyOf':
      return DRF_MESSAGES.invalidChoice(typeof data === 'string' ? data : JSON.stringify(data));
    default:
      return error.message
        ? `${error.message[0]?.toUpperCase() ?? ''}${error.message.slice(1)}.`
        : DRF_MESSAGES.invalid;
  }
}

function typeMessage(error: SchemaError): string {
  const { data } = error;
  if (error.instancePath === '') {
    return data === null ? DRF_MESSAGES.noData : DRF_MESSAGES.notADictionary(pythonTypeName(data));
  }
  if (data === null) return DRF_MESSAGES.null;
  if (isUuidSchema(error.parentSchema)) return DRF_MESSAGES.invalidUuid;
  switch (error.params.type) {
    case 'string':
      return DRF_MESSAGES.invalidString;
    case 'integer':
      return DRF_MESSAGES.invalidInteger;
    case 'number':
      return DRF_MESSAGES.invalidNumber;
    case 'boolean':
      return DRF_MESSAGES.invalidBoolean;
    case 'array':
      return DRF_MESSAGES.notAList(pythonTypeName(data));
    case 'object':
      return DRF_MESSAGES.notADict(pythonTypeName(data));
    default:
      return DRF_MESSAGES.invalid;
  }
}

function isUuidSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && 'format' in schema && schema.format === 'uuid';
}

/**
 * DRF's CharFields refuse NUL (ProhibitNullCharactersValidator); Postgres text cannot store it,
 * so letting one through was a 500. Checks the top-level string fields of a parsed body.
 */
export function nullCharacterErrors(fields: unknown): FieldErrors | undefined {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  let errors: FieldErrors | undefined;
  for (const [name, value] of Object.entries(fields)) {
    // Without a prototype, a field named __proto__ is a key like any other (it would otherwise
    // replace the object's prototype and the 400 would fail its own schema: a 500).
    if (typeof value === 'string' && value.includes('\u0000'))
      (errors ??= Object.create(null) as FieldErrors)[name] = [DRF_MESSAGES.nullCharacters];
  }
  return errors;
}

/**
 * For routes with `attachValidation`: a malformed path parameter (a uuid) is simply not found, as
 * Django's URL resolver answers; anything else wrong is a field error.
 */
export function rejectInvalidRequest(request: FastifyRequest): void {
  const invalid = request.validationError;
  if (!invalid) return;
  if (invalid.validationContext === 'params') throw notFound();
  throw new ApiError(400, toFieldErrors(invalid.validation as readonly SchemaError[]));
}
