// One validation setup for Fastify's Ajv (JSON, form, query, params) and the api's own (multipart
// fields), so a field gets the same answer whichever way it was sent.

/**
 * RFC 4122's textual form only. ajv-formats' `uuid` also accepts a `urn:uuid:` prefix, which
 * Postgres' uuid type refuses: the lookup then failed with a 500 instead of a field error.
 */
export const UUID_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const AJV_OPTIONS = {
  allErrors: true,
  coerceTypes: false,
  // Errors carry the value and its schema, which DRF's wording needs (validation-errors.ts).
  verbose: true,
} as const;

/** Runs after ajv-formats (Fastify's `onCreate`), so these definitions win. */
export function addApiFormats(ajv: { addFormat(name: string, format: RegExp): unknown }): void {
  ajv.addFormat('uuid', UUID_FORMAT);
}
