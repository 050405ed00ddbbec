import { Type, type TSchema } from '@sinclair/typebox';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body',
  401: 'No valid credentials',
  403: "Needs an administrator's key",
  404: 'Not found',
  405: 'Method not allowed',
  409: 'A request with the same Idempotency-Key is still in progress (or took this one over): nothing was created',
  413: 'Body or file too large',
  415: 'Unsupported media type',
  422: 'The Idempotency-Key was already used with another request',
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

/** `Idempotency-Key` (issue 4, item 6), on the routes that create messages. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Any 1 to 255 printable characters, new for each message: a retry with the same key (and the same API key) answers what the first request answered, and creates nothing',
    }),
  ),
});
