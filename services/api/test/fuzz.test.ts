import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversation, startApi, type ApiHarness } from './api-harness.js';

// Property test over the request schemas: whatever a client sends, the api answers in the
// contract's error shape or succeeds, never 500, and a rejected request writes nothing.

let api: ApiHarness;
let conversation: Awaited<ReturnType<typeof createConversation>>;

beforeAll(async () => {
  api = await startApi();
  conversation = await createConversation(api.app, 'fuzz');
});
afterAll(async () => {
  await api?.close();
});

/** Values a careless or hostile client might put in a field. */
const fieldValue = () =>
  fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.uuid(),
    fc.constant(''),
    fc.constant('\u0000'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  );

/** A body built from the route's own field names (plus strangers), or something that is not an object. */
const body = (fields: string[]) =>
  fc.oneof(
    fc.record(Object.fromEntries(fields.map((f) => [f, fieldValue()])), { requiredKeys: [] }),
    fc.dictionary(fc.constantFrom(...fields, '__proto__', 'constructor', 'extra'), fieldValue(), { maxKeys: 4 }),
    fieldValue(),
  );

const ROUTES: Array<{ url: string; fields: string[] }> = [
  { url: '/api/send-message/', fields: ['message', 'help_desk', 'file'] },
  { url: '/api/receive-message/', fields: ['client', 'message', 'file'] },
  { url: '/api/clients/', fields: ['organization', 'name', 'phone'] },
  { url: '/api/help-desks/', fields: ['organization', 'client'] },
  { url: '/api/organizations/', fields: ['name'] },
  { url: '/api/ws-tickets/', fields: ['organization'] },
];

describe('request schemas, fuzzed', () => {
  for (const route of ROUTES) {
    it(`POST ${route.url}: never a 500, DRF-shaped errors, nothing written when refused`, async () => {
      await fc.assert(
        fc.asyncProperty(body(route.fields), async (payload) => {
          const before = await api.traces();
          const res = await api.app.inject({
            method: 'POST',
            url: route.url,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) {
            const answer = res.json<Record<string, unknown>>();
            const drfShaped =
              (typeof answer.detail === 'string' && Object.keys(answer).length === 1) ||
              Object.values(answer).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string'));
            expect(drfShaped).toBe(true);
            expect(await api.traces()).toEqual(before);
          }
        }),
        { numRuns: 60 },
      );
    }, 60_000);
  }

  it('a valid help desk with fuzzed text is either stored whole or refused whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (message) => {
        const res = await api.app.inject({
          method: 'POST',
          url: '/api/send-message/',
          payload: { message, help_desk: conversation.helpDesk.uuid },
        });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode === 201) expect(res.json<{ message: string }>().message).toBe(message);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
