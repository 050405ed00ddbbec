import { parse as parseQueryString } from 'node:querystring';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { detail } from './api-error.js';
import { DRF_MESSAGES } from './drf-messages.js';
import { MAX_JSON_DEPTH, nestedDeeperThan, tooDeepReason } from './json-depth.js';

type JsonParser = (request: FastifyRequest, body: string, done: (error: Error | null, value?: unknown) => void) => void;

/**
 * The JSON body parser, answering as DRF's JSONParser does: an empty body is an empty set of
 * fields (the fields' own errors follow), a malformed one `{"detail": "JSON parse error - <why>"}`.
 * Fastify's text/plain parser goes: DRF answers other media types 415, and a route's schema only
 * validates the media types it lists, so a text body would have reached a handler unchecked.
 */
export function installBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  // Fastify's parser keeps its protection against __proto__ / constructor poisoning.
  const parseJson = app.getDefaultJsonParser('error', 'error') as JsonParser;
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, {});
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) done(detail(400, DRF_MESSAGES.jsonParseError(jsonSyntaxProblem(text))));
      else if (nestedDeeperThan(value, MAX_JSON_DEPTH)) done(detail(400, DRF_MESSAGES.jsonParseError(tooDeepReason())));
      else done(null, value);
    });
  });
}

function jsonSyntaxProblem(text: string): string {
  try {
    JSON.parse(text);
    return 'Object contains a forbidden prototype property.';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Query strings and form bodies as Django's QueryDict reads them for a single-valued field: a
 * repeated key gives its last value (rather than an array the schema would refuse).
 */
export function parseLastValues(text: string): Record<string, string> {
  const parsed = parseQueryString(text);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(parsed)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) fields[key] = last;
  }
  return fields;
}
