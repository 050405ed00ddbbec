import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_KEYS, startApi, type ApiHarness } from './api-harness.js';

// The OpenAPI document generated from the route schemas, like DRF's schema view, and its
// browsable docs page.

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Record<string, unknown> }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<
    string,
    {
      content?: Record<string, { schema: unknown }>;
      headers?: Record<string, { schema: unknown; description?: string }>;
    }
  >;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

let api: ApiHarness;
let doc: OpenApiDocument;
beforeAll(async () => {
  api = await startApi();
  const res = await api.app.inject({ url: '/api/schema/' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = res.json<OpenApiDocument>();
});
afterAll(async () => {
  await api?.close();
});

const json = (operation: Operation | undefined, status: string) =>
  operation?.responses[status]?.content?.['application/json']?.schema;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe('GET /api/schema/', () => {
  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBe('helpdesk-chat');
    // Validated against the OpenAPI 3.0 schema, every $ref resolved (the validator mutates its input).
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents the contract paths with their response schemas', () => {
    const list = doc.paths['/api/help-desks/']?.get;
    expect(json(list, '200')).toEqual({ type: 'array', items: ref('HelpDesk') });
    expect(list?.parameters).toContainEqual(
      expect.objectContaining({ name: 'organization', in: 'query', required: true }),
    );
    expect(Object.keys(list?.responses ?? {}).sort()).toEqual(['200', '400', '401', '404', '429']);

    const history = doc.paths['/api/help-desks/{uuid}/history/']?.get;
    expect(json(history, '200')).toEqual({ type: 'array', items: ref('Message') });
    expect(json(history, '404')).toEqual(ref('DetailError'));
    expect(history?.parameters).toContainEqual(expect.objectContaining({ name: 'uuid', in: 'path', required: true }));

    const send = doc.paths['/api/send-message/']?.post;
    expect(json(send, '201')).toEqual(ref('Message'));
    expect(json(send, '413')).toEqual(ref('DetailError'));
    expect(json(send, '415')).toEqual(ref('DetailError'));
    expect(json(send, '400')).toMatchObject({ anyOf: [ref('FieldErrors'), ref('DetailError')] });
    expect(Object.keys(send?.requestBody?.content ?? {}).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]);

    const file = doc.paths['/api/files/{key}/{name}']?.get;
    expect(file?.responses['200']?.content).toEqual({
      'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
    });

    for (const path of ['/api/organizations/', '/api/clients/']) {
      expect(Object.keys(doc.paths[path] ?? {}).sort()).toEqual(['get', 'post']);
    }
    expect(json(doc.paths['/api/help-desks/']?.post, '201')).toEqual(ref('HelpDesk'));
  });

  it('documents the pagination of both lists: limit, before, status, search, and the Link header (issue 11)', () => {
    const list = doc.paths['/api/help-desks/']?.get;
    const history = doc.paths['/api/help-desks/{uuid}/history/']?.get;
    const query = (op: Operation | undefined) =>
      Object.fromEntries(
        (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, [p.required ?? false, p.schema]]),
      );
    const limit = [false, expect.objectContaining({ type: 'integer', minimum: 1, maximum: 200 })];
    expect(query(list)).toEqual({
      organization: [true, expect.objectContaining({ type: 'string' })],
      limit,
      before: [false, expect.objectContaining({ type: 'string' })],
      status: [
        false,
        expect.objectContaining({
          anyOf: [
            { type: 'string', enum: ['open'] },
            { type: 'string', enum: ['closed'] },
          ],
        }),
      ],
      search: [false, expect.objectContaining({ type: 'string', maxLength: 100 })],
    });
    expect(query(history)).toEqual({
      limit,
      before: [false, expect.objectContaining({ type: 'string', format: 'uuid' })],
    });
    for (const op of [list, history]) {
      const headers = op?.responses['200']?.headers;
      expect(Object.keys(headers ?? {})).toEqual(['link']);
      expect(headers?.link?.schema).toEqual({ type: 'string' });
      expect(headers?.link?.description).toContain('rel="next"');
      expect(json(op, '400')).toMatchObject({ anyOf: [ref('FieldErrors'), ref('DetailError')] });
    }
  });

  it('documents 401 and 429 on every operation that needs a key, and requires the bearer key', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, op } of operations) {
      const statuses = Object.keys(op.responses);
      expect({ path, method, has401: statuses.includes('401'), has429: statuses.includes('429') }).toEqual({
        path,
        method,
        has401: true,
        has429: true,
      });
      expect(json(op, '401')).toEqual(ref('DetailError'));
    }
  });

  it("documents the contract objects with their keys in the contract's order", () => {
    expect(Object.keys(doc.components.schemas.Message?.properties ?? {})).toEqual(MESSAGE_KEYS);
    expect(Object.keys(doc.components.schemas.HelpDesk?.properties ?? {})).toEqual([
      'created_at',
      'updated_at',
      'uuid',
      'client',
      'last_message',
      // Ours, after the contract's keys (issue 4, item 5).
      'status',
    ]);
    expect(Object.keys(doc.components.schemas.Client?.properties ?? {})).toEqual([
      'uuid',
      'created_at',
      'updated_at',
      'name',
      'phone',
    ]);
    expect(Object.keys(doc.components.schemas.DetailError?.properties ?? {})).toEqual(['detail']);
  });

  it('leaves out the 405 answers, the health checks and itself', () => {
    const methods = Object.values(doc.paths).flatMap((item) => Object.keys(item));
    expect(new Set(methods)).toEqual(new Set(['get', 'post', 'put', 'patch', 'delete']));
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/admin-keys/',
      '/api/admin-keys/{uuid}/',
      '/api/clients/',
      '/api/files/{key}/{name}',
      '/api/help-desks/',
      '/api/help-desks/{uuid}/',
      '/api/help-desks/{uuid}/history/',
      '/api/messages/{uuid}/',
      '/api/organizations/',
      '/api/organizations/{name}/api-keys/',
      '/api/organizations/{name}/api-keys/{uuid}/',
      '/api/organizations/{name}/webhook/',
      '/api/receive-message/',
      '/api/send-message/',
      '/api/whoami/',
      '/api/ws-tickets/',
    ]);
    expect(Object.keys(doc.paths['/api/organizations/{name}/api-keys/{uuid}/'] ?? {})).toEqual(['delete']);
  });
});

describe('GET /api/schema/docs', () => {
  it('answers an HTML page whose scripts and styles all load', async () => {
    const page = await api.app.inject({ url: '/api/schema/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<div id="swagger-ui"></div>');
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(3);
    for (const asset of assets) {
      const res = await api.app.inject({ url: new URL(asset, 'http://localhost/api/schema/docs').pathname });
      expect({ asset, status: res.statusCode }).toEqual({ asset, status: 200 });
    }
    // A browser told to upgrade would fetch those over https and show a blank page on a plain
    // http deployment (any host but localhost); TLS belongs to the ingress, not to this header.
    expect(page.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
  });

  it('points the page at this document, and at no outside validator', async () => {
    const initializer = await api.app.inject({ url: '/api/schema/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    // The page resolves './json' against its own URL (with a trailing slash added).
    expect(initializer.body).toContain("url: resolveUrl('./json')");
    expect(initializer.body).toContain('validatorUrl: null');
    const served = await api.app.inject({ url: '/api/schema/docs/json' });
    expect(served.statusCode).toBe(200);
    expect(served.json()).toEqual(doc);
  });
});
