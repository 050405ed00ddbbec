import { Type, type TSchema } from '@sinclair/typebox';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body',
  401: 'No valid credentials',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Body or file too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
};

/** Response schemas of the DRF-shaped errors a route can answer. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const responses: Record<number, TSchema> = {};
  for (const status of statuses) {
    responses[status] =
      status === 400
        ? Type.Union([Type.Ref('FieldErrors'), Type.Ref('DetailError')], { description: DESCRIPTIONS[status] })
        : Type.Ref('DetailError', { description: DESCRIPTIONS[status] ?? 'Error' });
  }
  return responses;
}
