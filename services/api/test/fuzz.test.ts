import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createOrganizationWithKey, type TestOrganization } from '../../../test/organization.js';
import { asKey, startApi, type ApiHarness } from './api-harness.js';

// Property test over the request schemas: whatever a client sends (JSON or form bodies, query
// strings, path segments, with an administrator's or an organization's key), the api answers in
// the contract's error shape or succeeds, never 500, and a rejected request writes nothing.

let api: ApiHarness;
let conversation: TestOrganization;
/** Another organization, which `orgKey` must never reach. */
let other: TestOrganization;
/** The key of `conversation`'s organization. */
let orgKey: string;
/** An organization with no messages, the only one the webhook properties may configure. */
let hookOrganization: string;
/** Messages of `conversation`, each able to move forward a few times. */
let ownMessages: string[];
let otherMessage: string;

beforeAll(async () => {
  api = await startApi();
  conversation = await createOrganization(api, 'fuzz');
  other = await createOrganization(api, 'other');
  orgKey = conversation.key;
  hookOrganization = (await createOrganizationWithKey(api, 'hook')).name;
  ownMessages = [];
  for (let i = 0; i < 3; i += 1) ownMessages.push(await sendMessage(conversation.helpDesk.uuid));
  otherMessage = await sendMessage(other.helpDesk.uuid);
});
afterAll(async () => {
  await api?.close();
});

async function sendMessage(helpDesk: string): Promise<string> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/send-message/',
    payload: { message: 'seed', help_desk: helpDesk },
  });
  if (res.statusCode !== 201) throw new Error(`send-message: ${res.statusCode} ${res.body}`);
  return res.json<{ uuid: string }>().uuid;
}

/**
 * Everything a request could have written: the harness's rows, events and files, and what it
 * does not count (updates, statuses, keys, webhooks, deliveries, idempotency records, outbox events).
 */
async function writes(): Promise<unknown> {
  const traces = await api.traces();
  const { rows } = await sql<Record<string, string | null>>`
    select
      (select max(updated_at)::text from organizations) as organizations_updated,
      (select max(updated_at)::text from clients) as clients_updated,
      (select max(updated_at)::text from help_desks) as help_desks_updated,
      (select string_agg(status::text, ',' order by id) from help_desks) as help_desk_statuses,
      (select max(updated_at)::text from messages) as messages_updated,
      (select string_agg(status::text, ',' order by id) from messages) as message_statuses,
      (select count(*)::text from api_keys) as api_keys,
      (select count(revoked_at)::text from api_keys) as revoked_api_keys,
      (select count(*)::text from organization_webhooks) as webhooks,
      (select max(updated_at)::text from organization_webhooks) as webhooks_updated,
      (select count(*)::text from webhook_deliveries) as webhook_deliveries,
      (select count(*)::text from idempotency_keys) as idempotency_keys,
      (select count(*)::text from outbox_events) as outbox_events
  `.execute(api.app.db);
  return { ...traces, tables: rows[0] };
}

/** What one organization holds, down to each row's last update. */
async function holdings(organization: string): Promise<unknown> {
  const { rows } = await sql<Record<string, string | null>>`
    with o as (select id from organizations where name = ${organization})
    select
      (select count(*)::text || '/' || coalesce(max(updated_at)::text, '') from clients where organization_id = (select id from o)) as clients,
      (select count(*)::text || '/' || coalesce(max(updated_at)::text, '') || '/' || coalesce(string_agg(status::text, ','), '')
         from help_desks where organization_id = (select id from o)) as help_desks,
      (select count(*)::text || '/' || coalesce(max(updated_at)::text, '') || '/' || coalesce(string_agg(status::text, ','), '')
         from messages where organization_id = (select id from o)) as messages,
      (select count(*)::text from api_keys where organization_id = (select id from o) and revoked_at is null) as keys,
      (select count(*)::text from organization_webhooks where organization_id = (select id from o)) as webhooks
  `.execute(api.app.db);
  return rows[0];
}

/** Never a 500; an error is DRF-shaped: `{"detail": "..."}` or `{"field": ["...", ...]}`. */
function expectContractAnswer(res: LightMyRequestResponse, request: unknown): void {
  if (res.statusCode >= 500) expect.fail(`${res.statusCode} for ${JSON.stringify(request)}: ${res.body}`);
  if (res.statusCode >= 400 && res.body !== '') {
    const answer = res.json<Record<string, unknown>>();
    const drfShaped =
      (typeof answer.detail === 'string' && Object.keys(answer).length === 1) ||
      (Object.keys(answer).length > 0 &&
        Object.values(answer).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string')));
    if (!drfShaped) expect.fail(`not DRF-shaped: ${res.statusCode} ${res.body} for ${JSON.stringify(request)}`);
  }
}

/** Values a careless or hostile client might put in a field, and some that are right. */
const fieldValue = (known: readonly string[] = []) =>
  fc.oneof(
    ...(known.length > 0 ? [{ arbitrary: fc.constantFrom(...known), weight: 10 }] : []),
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

/** A JSON body built from the route's own field names (plus strangers), or something that is not an object. */
const body = (fields: string[], known: Record<string, readonly string[]> = {}) =>
  fc.oneof(
    {
      arbitrary: fc.record(
        Object.fromEntries(fields.map((f) => [f, fieldValue(Object.hasOwn(known, f) ? known[f] : [])])),
        {
          requiredKeys: [],
        },
      ),
      weight: 3,
    },
    fc.dictionary(fc.constantFrom(...fields, '__proto__', 'constructor', 'extra'), fieldValue(), { maxKeys: 4 }),
    fieldValue(),
  );

/** Text for a form field: anything, or a value that is right. */
const formValue = (known: readonly string[] = []) =>
  fc.oneof(
    ...(known.length > 0 ? [{ arbitrary: fc.constantFrom(...known), weight: 6 }] : []),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.uuid(),
    fc.constantFrom('', '\u0000', 'null', 'true', '[]', '{}'),
  );

/** Pieces of a hand-written query string or form body, malformed escapes included. */
const RAW_PIECES = ['=', '&', '%', '%zz', '%00', '%C3', '%E2%82', '%2', '+', '[]', '[0]', ';', 'a', '%26', '%3D'];

/**
 * An application/x-www-form-urlencoded text: the route's fields (some missing, some repeated,
 * strangers beside them), or pieces glued together by hand.
 */
const formText = (fields: string[], known: Record<string, readonly string[]> = {}) => {
  const pair = (names: string[]) =>
    fc
      .constantFrom(...names)
      .chain((name) =>
        formValue(Object.hasOwn(known, name) ? known[name] : []).map((value): [string, string] => [name, value]),
      );
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.record(Object.fromEntries(fields.map((f) => [f, formValue(Object.hasOwn(known, f) ? known[f] : [])])), {
            requiredKeys: [],
          }),
          fc.array(pair([...fields, '__proto__', 'constructor', 'extra', '']), { maxLength: 3 }),
        )
        .map(([record, extra]) => {
          const pairs = Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined);
          return new URLSearchParams([...pairs, ...extra]).toString();
        }),
    },
    fc.array(fc.constantFrom(...RAW_PIECES, ...fields), { maxLength: 10 }).map((pieces) => pieces.join('')),
    fc.string({ maxLength: 60 }),
  );
};

/** A path segment: a right one, a uuid, any text (escaped), or a malformed escape left raw. */
const pathSegment = (known: readonly string[]) =>
  fc.oneof(
    ...(known.length > 0 ? [{ arbitrary: fc.constantFrom(...known), weight: 4 }] : []),
    fc.uuid(),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
    fc.constantFrom('', '.', '..', '%', '%00', '%zz', '%C3', 'null', '__proto__', 'a'.repeat(300)),
  );

/** A request body in one of the encodings the api reads, or labelled with a type it does not. */
const encodedBody = (fields: string[], known: Record<string, readonly string[]> = {}) =>
  fc.oneof(
    {
      // Every field with one of its known values: the requests that can succeed.
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.record(Object.fromEntries(fields.map((f) => [f, fc.constantFrom(...(known[f] ?? ['']))]))),
          fc.boolean(),
        )
        .map(([values, asForm]) =>
          asForm
            ? { 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(values).toString() }
            : { 'content-type': 'application/json', payload: JSON.stringify(values) },
        ),
    },
    {
      weight: 2,
      arbitrary: body(fields, known).map((value) => ({
        'content-type': 'application/json',
        payload: JSON.stringify(value),
      })),
    },
    {
      weight: 2,
      arbitrary: formText(fields, known).map((text) => ({
        'content-type': 'application/x-www-form-urlencoded',
        payload: text,
      })),
    },
    fc.record({
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=latin1',
        'application/x-www-form-urlencoded; charset=utf-16',
        'text/plain',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        'application/xml',
        '',
      ),
      payload: fc.string({ maxLength: 60 }),
    }),
  );

const KEYS = ['admin', 'organization'] as const;
const headersFor = (who: (typeof KEYS)[number]) => (who === 'admin' ? {} : asKey(orgKey));

/**
 * Sends the request, checks the answer's shape, and that it wrote nothing unless it succeeded.
 * Answers the response for property-specific checks.
 */
async function probe(request: InjectOptions): Promise<LightMyRequestResponse> {
  const before = await writes();
  const res = await api.app.inject(request);
  expectContractAnswer(res, request);
  if (res.statusCode >= 400) expect(await writes()).toEqual(before);
  return res;
}

const RUNS = { numRuns: 60 };

describe('request schemas, fuzzed', () => {
  const routes = (): Array<{ url: string; fields: string[]; known: Record<string, readonly string[]> }> => [
    {
      url: '/api/send-message/',
      fields: ['message', 'help_desk', 'file'],
      known: { help_desk: [conversation.helpDesk.uuid], message: ['hello'] },
    },
    {
      url: '/api/receive-message/',
      fields: ['organization', 'client', 'message', 'file', 'client.name', 'client.phone'],
      known: {
        organization: [conversation.name],
        message: ['hello'],
        'client.name': ['Ana'],
        'client.phone': ['5511'],
      },
    },
    {
      url: '/api/clients/',
      fields: ['organization', 'name', 'phone'],
      known: { organization: [conversation.name], name: ['Ana'], phone: ['5511'] },
    },
    {
      url: '/api/help-desks/',
      fields: ['organization', 'client'],
      known: { organization: [conversation.name], client: [conversation.client.uuid] },
    },
    { url: '/api/organizations/', fields: ['name'], known: {} },
    { url: '/api/ws-tickets/', fields: ['organization'], known: { organization: [conversation.name] } },
  ];
  const ROUTE_URLS = [
    '/api/send-message/',
    '/api/receive-message/',
    '/api/clients/',
    '/api/help-desks/',
    '/api/organizations/',
    '/api/ws-tickets/',
  ];

  for (const url of ROUTE_URLS) {
    it(`POST ${url}, JSON: never a 500, DRF-shaped errors, nothing written when refused`, async () => {
      const route = routes().find((r) => r.url === url)!;
      await fc.assert(
        fc.asyncProperty(body(route.fields, route.known), async (payload) => {
          await probe({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
        }),
        RUNS,
      );
    }, 60_000);

    it(`POST ${url}, form-urlencoded: never a 500, DRF-shaped errors, nothing written when refused`, async () => {
      const route = routes().find((r) => r.url === url)!;
      await fc.assert(
        fc.asyncProperty(formText(route.fields, route.known), async (payload) => {
          await probe({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload,
          });
        }),
        RUNS,
      );
    }, 60_000);
  }

  it('a valid help desk with fuzzed text is either stored whole or refused whole', async () => {
    const outcomes = { stored: 0, refused: 0 };
    // Any text, and text the contract refuses (blank, a NUL, too long), so both outcomes occur.
    const text = fc.oneof(
      { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 3 },
      fc.constantFrom('', ' ', '\t\n'),
      fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}\u0000${b}`),
      // Past MAX_MESSAGE_CHARS (10,000 by default).
      fc.nat({ max: 100 }).map((extra) => 'x'.repeat(10_001 + extra)),
    );
    await fc.assert(
      fc.asyncProperty(text, async (message) => {
        // probe: a refusal leaves every table, event and file as it was.
        const res = await probe({
          method: 'POST',
          url: '/api/send-message/',
          payload: { message, help_desk: conversation.helpDesk.uuid },
        });
        if (res.statusCode >= 400) {
          outcomes.refused += 1;
          return;
        }
        outcomes.stored += 1;
        expect(res.statusCode).toBe(201);
        // Stored as sent but for the surrounding whitespace, which DRF's CharField trims: in the
        // answer and in the row the history reads.
        const { uuid, message: answered } = res.json<{ uuid: string; message: string }>();
        expect(answered).toBe(message.trim());
        const row = await api.app.db
          .selectFrom('messages')
          .select('message')
          .where('uuid', '=', uuid)
          .executeTakeFirst();
        expect(row?.message).toBe(message.trim());
      }),
      RUNS,
    );
    expect(outcomes.stored).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 60_000);
});

describe('status changes (PATCH), fuzzed', () => {
  // The first uuid is the other organization's: unknown to `orgKey`, open to the administrator.
  const cases = () => [
    {
      url: 'messages',
      uuids: [otherMessage, ...ownMessages],
      statuses: ['delivered', 'read', 'failed', 'sent', 'sending', 'received', 'READ', ''],
    },
    {
      url: 'help-desks',
      uuids: [other.helpDesk.uuid, conversation.helpDesk.uuid],
      statuses: ['open', 'closed', 'CLOSED', 'archived', ''],
    },
  ];

  for (const name of ['messages', 'help-desks']) {
    it(`PATCH /api/${name}/<uuid>/: never a 500, nothing written when refused, another organization's untouched`, async () => {
      const { url, uuids, statuses } = cases().find((c) => c.url === name)!;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...KEYS),
          pathSegment(uuids),
          encodedBody(['status'], { status: statuses }),
          async (who, uuid, { 'content-type': contentType, payload }) => {
            // An administrator may change any organization's objects; an organization's key none of another's.
            const theirs = who === 'organization' ? await holdings(other.name) : undefined;
            const res = await probe({
              method: 'PATCH',
              url: `/api/${url}/${uuid}/`,
              headers: { ...headersFor(who), 'content-type': contentType },
              payload,
            });
            if (who === 'organization') {
              if (uuid === uuids[0]) expect(res.statusCode).toBeGreaterThanOrEqual(400);
              expect(await holdings(other.name)).toEqual(theirs);
            }
          },
        ),
        RUNS,
      );
    }, 60_000);
  }
});

describe('list routes, fuzzed query strings', () => {
  /** A query string: encoded pairs (repeated names at times), or pieces glued by hand. */
  const queryString = () => {
    const names = ['organization', 'organization[]', 'Organization', 'extra', '__proto__', ''];
    const values = [conversation.name, other.name, hookOrganization];
    return formText(names, { organization: values, 'organization[]': values, Organization: values });
  };

  for (const url of ['/api/help-desks/', '/api/clients/', '/api/organizations/']) {
    it(`GET ${url}?<query>: never a 500, writes nothing, shows an organization's key nothing of another's`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...KEYS), queryString(), async (who, query) => {
          const before = await writes();
          const request = { method: 'GET' as const, url: `${url}?${query}`, headers: headersFor(who) };
          const res = await api.app.inject(request);
          expectContractAnswer(res, request);
          expect(await writes()).toEqual(before);
          if (who === 'organization') {
            for (const theirs of [other.name, other.helpDesk.uuid, other.client.uuid, hookOrganization]) {
              expect(res.body).not.toContain(theirs);
            }
          }
        }),
        RUNS,
      );
    }, 60_000);
  }

  it('GET /api/help-desks/<uuid>/history/ and /api/files/<key>/<name>: never a 500, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KEYS),
        fc.constantFrom('history', 'files'),
        pathSegment([conversation.helpDesk.uuid, other.helpDesk.uuid, '0'.repeat(32)]),
        pathSegment(['file.txt']),
        async (who, kind, segment, name) => {
          const url = kind === 'history' ? `/api/help-desks/${segment}/history/` : `/api/files/${segment}/${name}`;
          const res = await probe({ method: 'GET', url, headers: headersFor(who) });
          if (who === 'organization' && segment === other.helpDesk.uuid) {
            expect([res.statusCode, res.json()]).toEqual([404, { detail: 'Not found.' }]);
          }
        },
      ),
      RUNS,
    );
  }, 60_000);
});

describe('administration routes, fuzzed', () => {
  it("/api/organizations/<name>/api-keys/[<uuid>/]: never a 500, nothing written when refused, never by an organization's key", async () => {
    // No real key's uuid among the values: a DELETE that succeeds would revoke the test's keys.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KEYS),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        pathSegment([conversation.name, other.name, hookOrganization]),
        pathSegment([]),
        encodedBody(['name'], { name: ['ci', 'a'.repeat(100), 'a'.repeat(101)] }),
        async (who, method, name, uuid, { 'content-type': contentType, payload }) => {
          const url =
            method === 'DELETE'
              ? `/api/organizations/${name}/api-keys/${uuid}/`
              : `/api/organizations/${name}/api-keys/`;
          const res = await probe({
            method,
            url,
            headers: { ...headersFor(who), 'content-type': contentType },
            payload: method === 'GET' ? undefined : payload,
          });
          if (who === 'organization') expect(res.statusCode).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);

  it("/api/organizations/<name>/webhook/: never a 500, nothing written when refused, never by an organization's key", async () => {
    // Only `hookOrganization` (which has no messages, so nothing is ever delivered) can match.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KEYS),
        fc.constantFrom('GET', 'PUT', 'DELETE'),
        pathSegment([hookOrganization]),
        encodedBody(['url', 'secret'], {
          url: ['https://hooks.invalid/in', 'http://127.0.0.1:9/hook', 'ftp://hooks.invalid/', 'javascript:alert(1)'],
          secret: ['s'.repeat(16), 's'.repeat(256), 's'.repeat(15), 's'.repeat(257)],
        }),
        async (who, method, name, { 'content-type': contentType, payload }) => {
          const res = await probe({
            method,
            url: `/api/organizations/${name}/webhook/`,
            headers: { ...headersFor(who), 'content-type': contentType },
            payload: method === 'PUT' ? payload : undefined,
          });
          if (who === 'organization') expect(res.statusCode).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});

describe("receive-message's organization, fuzzed", () => {
  it("an organization's key writes only into its own organization, whatever `organization` says", async () => {
    const theirs = other.name;
    const organization = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(
        conversation.name,
        theirs,
        hookOrganization,
        theirs.toUpperCase(),
        ` ${theirs}`,
        `${theirs} `,
        `${theirs}/`,
        `${theirs}\u0000`,
        `${theirs}%00`,
        `../${theirs}`,
        `${conversation.name},${theirs}`,
      ),
      fieldValue(),
    );
    const before = { theirs: await holdings(theirs), hook: await holdings(hookOrganization) };
    await fc.assert(
      fc.asyncProperty(organization, fc.boolean(), async (value, asForm) => {
        const fields = { client: { name: 'Fuzz', phone: '5599' }, message: 'hello', organization: value };
        const request: InjectOptions = asForm
          ? {
              method: 'POST',
              url: '/api/receive-message/',
              headers: { ...asKey(orgKey), 'content-type': 'application/x-www-form-urlencoded' },
              payload: new URLSearchParams({
                'client.name': 'Fuzz',
                'client.phone': '5599',
                message: 'hello',
                ...(value === undefined
                  ? {}
                  : { organization: typeof value === 'string' ? value : JSON.stringify(value) }),
              }).toString(),
            }
          : {
              method: 'POST',
              url: '/api/receive-message/',
              headers: { ...asKey(orgKey), 'content-type': 'application/json' },
              payload: JSON.stringify(fields),
            };
        const res = await probe(request);
        if (res.statusCode === 201) expect([undefined, conversation.name]).toContain(value);
        if (value === theirs || value === hookOrganization) {
          expect([res.statusCode, res.json()]).toEqual([404, { detail: 'Not found.' }]);
        }
      }),
      { numRuns: 80 },
    );
    expect({ theirs: await holdings(theirs), hook: await holdings(hookOrganization) }).toEqual(before);
  }, 60_000);
});

describe('bugs the properties found', () => {
  // send-message and receive-message answered 500 (FST_ERR_FAILED_ERROR_SERIALIZATION) to a form
  // field named `__proto__` that held a NUL: the NUL check collected errors in a plain object, so
  // `errors['__proto__'] = [...]` set its prototype instead of a key.
  it('a form field named __proto__ holding a NUL is a 400 field error, like any other field', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const requests = [
      { url: '/api/send-message/', payload: `help_desk=${conversation.helpDesk.uuid}&message=hi` },
      {
        url: '/api/receive-message/',
        payload: `organization=${conversation.name}&client.name=Ana&client.phone=5511&message=hi`,
      },
    ];
    for (const { url, payload } of requests) {
      const before = await writes();
      for (const name of ['extra', '__proto__']) {
        const res = await api.app.inject({ method: 'POST', url, headers: form, payload: `${payload}&${name}=%00` });
        expect({ url, name, status: res.statusCode, body: res.json<unknown>() }).toEqual({
          url,
          name,
          status: 400,
          body: { [name]: ['Null characters are not allowed.'] },
        });
      }
      expect(await writes()).toEqual(before);
    }
  });
});
