import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrganizationWithKey } from '../../../test/organization.js';
import { useApi } from './api-harness.js';
import { rawExchange, rawRequest } from './raw-http.js';

// Issue 13, item 6, distributed mode: the api on its own port, spoken to over raw TCP. What Node's
// HTTP parser refuses before any route runs, and methods no route serves, are answered in the
// contract's shape ({"detail": ...}), never Fastify's {"error","message","statusCode"}, a bare
// status or a silent close.

const api = useApi();
let port: number;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  port = (api.app.server.address() as AddressInfo).port;
});

const host = 'Host: api.test';
const bodyOf = (body: string): unknown => JSON.parse(body);

describe('what the HTTP parser refuses is answered {"detail"}', () => {
  it('a head over MAX_HEADER_BYTES: 431', async () => {
    const { responses } = await rawExchange(port, [
      rawRequest('GET /api/organizations/ HTTP/1.1', [host, `X-Padding: ${'a'.repeat(20_000)}`]),
    ]);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ status: 431, headers: json });
    expect(JSON.parse(responses[0]!.body)).toEqual({
      detail: 'Request header fields too large: at most 16384 bytes.',
    });
  });

  it('a method the parser does not know (FOO): 405 in DRF words', async () => {
    const { responses } = await rawExchange(port, [rawRequest('FOO / HTTP/1.1', [host])]);
    expect(responses.map((r) => [r.status, r.headers['content-type'], bodyOf(r.body)])).toEqual([
      [405, 'application/json', { detail: 'Method "FOO" not allowed.' }],
    ]);
  });

  it('CONNECT, which Node hands to no route: 405', async () => {
    const { responses } = await rawExchange(port, [rawRequest('CONNECT api.test:443 HTTP/1.1', [host])]);
    expect(responses.map((r) => [r.status, bodyOf(r.body)])).toEqual([
      [405, { detail: 'Method "CONNECT" not allowed.' }],
    ]);
  });

  it('a malformed head: 400 {"detail": "Malformed request."}', async () => {
    for (const head of [
      rawRequest('GET / HTTP/1.1', [host, 'a header line without a colon']),
      rawRequest('GET / HTTP/1.1', [host, 'Content-Length: 1', 'Content-Length: 2']),
      rawRequest('GET / HTTP/9.9', [host]),
    ]) {
      const { responses } = await rawExchange(port, [head]);
      expect(responses.map((r) => [r.status, bodyOf(r.body)])).toEqual([[400, { detail: 'Malformed request.' }]]);
    }
  });

  it('HTTP/1.1 without Host: 400 {"detail"}; HTTP/1.0 without Host is served', async () => {
    const http11 = await rawExchange(port, [rawRequest('GET /healthz HTTP/1.1', [])]);
    expect(http11.responses.map((r) => [r.status, bodyOf(r.body)])).toEqual([
      [400, { detail: 'Malformed request. An HTTP/1.1 request needs a Host header.' }],
    ]);
    const http10 = await rawExchange(port, [rawRequest('GET /healthz HTTP/1.0', [])]);
    expect(http10.responses.map((r) => [r.status, bodyOf(r.body)])).toEqual([[200, { status: 'ok' }]]);
  });
});

describe('methods no route serves: 405 {"detail"}, as DRF answers them', () => {
  it('on a known path, with the Allow of that path (PROPFIND, TRACE, MKCOL)', async () => {
    for (const method of ['PROPFIND', 'TRACE', 'MKCOL']) {
      const { responses } = await rawExchange(port, [
        rawRequest(`${method} /api/organizations/ HTTP/1.1`, [
          host,
          `Authorization: Bearer ${api.adminToken}`,
          'Connection: close',
        ]),
      ]);
      expect(responses.map((r) => [r.status, r.headers.allow, bodyOf(r.body)])).toEqual([
        [405, 'GET, POST, HEAD', { detail: `Method "${method}" not allowed.` }],
      ]);
    }
  });

  it('anywhere else too; a known method on an unknown path stays 404', async () => {
    const propfind = await rawExchange(port, [rawRequest('PROPFIND /nowhere/ HTTP/1.1', [host, 'Connection: close'])]);
    expect(propfind.responses.map((r) => [r.status, bodyOf(r.body)])).toEqual([
      [405, { detail: 'Method "PROPFIND" not allowed.' }],
    ]);
    const get = await rawExchange(port, [
      rawRequest('GET /nowhere/ HTTP/1.1', [host, `Authorization: Bearer ${api.adminToken}`, 'Connection: close']),
    ]);
    expect(get.responses.map((r) => [r.status, bodyOf(r.body)])).toEqual([[404, { detail: 'Not found.' }]]);
  });
});

it('answers pipelined requests, each in order', async () => {
  const { name: organization } = await createOrganizationWithKey(api, 'pipelined');
  const auth = `Authorization: Bearer ${api.adminToken}`;
  const { responses } = await rawExchange(port, [
    rawRequest('GET /healthz HTTP/1.1', [host]) +
      rawRequest(`GET /api/organizations/${organization}/api-keys/ HTTP/1.1`, [host, auth]) +
      rawRequest('GET /api/organizations/ HTTP/1.1', [host, auth, 'Connection: close']),
  ]);
  expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(JSON.parse(responses[0]!.body)).toEqual({ status: 'ok' });
  expect((JSON.parse(responses[1]!.body) as Array<{ name: string }>).map((k) => k.name)).toEqual(['agents']);
  expect((JSON.parse(responses[2]!.body) as Array<{ name: string }>).map((o) => o.name)).toContain(organization);
});
