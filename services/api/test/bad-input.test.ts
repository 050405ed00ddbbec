import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  createHelpDesk,
  createOrganization,
  createOrganizationWithKey,
  uniqueName,
} from '../../../test/organization.js';
import { useApi } from './api-harness.js';

// Every bad request gets DRF's status and body (CONTRACT.md), never a 500, and leaves nothing
// behind: no row, no event on the run's channels, no stored or spooled file.

const MAX_MESSAGE_CHARS = 20;
const MAX_BODY_BYTES = 2048;

const api = useApi({ MAX_MESSAGE_CHARS: String(MAX_MESSAGE_CHARS), MAX_BODY_BYTES: String(MAX_BODY_BYTES) });

/** Sends `request`, checks the exact answer, and that nothing was written. */
async function expectRefused(
  request: InjectOptions,
  status: number,
  body: unknown,
): Promise<{ headers: Record<string, unknown> }> {
  const before = await api.traces();
  const res = await api.app.inject(request);
  expect({ status: res.statusCode, body: res.json<unknown>() }).toEqual({ status, body });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(await api.traces()).toEqual(before);
  return { headers: res.headers };
}

const sendJson = (payload: unknown): InjectOptions => ({
  method: 'POST',
  url: '/api/send-message/',
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(payload),
});

const sendRaw = (contentType: string | undefined, payload: string): InjectOptions => ({
  method: 'POST',
  url: '/api/send-message/',
  ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
  payload,
});

describe('POST /api/send-message/ with bad JSON input', () => {
  let helpDesk: string;
  beforeAll(async () => {
    helpDesk = (await createOrganization(api, 'bad-send')).helpDesk.uuid;
  });

  it('missing help_desk', async () => {
    await expectRefused(sendJson({ message: 'hi' }), 400, { help_desk: ['This field is required.'] });
  });

  it('malformed help_desk uuids', async () => {
    for (const value of [
      'not-a-uuid',
      '',
      `${helpDesk}x`,
      `urn:uuid:${helpDesk}`,
      `{${helpDesk}}`,
      helpDesk.replaceAll('-', ''),
    ]) {
      await expectRefused(sendJson({ message: 'hi', help_desk: value }), 400, { help_desk: ['Must be a valid UUID.'] });
    }
  });

  it('unknown help desk', async () => {
    const unknown = '0b6b4a5e-7c1d-4f0e-9a51-3f1f3c2d9e77';
    await expectRefused(sendJson({ message: 'hi', help_desk: unknown }), 400, {
      help_desk: [`Invalid pk "${unknown}" - object does not exist.`],
    });
  });

  it('no text and no file', async () => {
    await expectRefused(sendJson({ help_desk: helpDesk }), 400, { message: ['This field is required.'] });
    await expectRefused(sendJson({ help_desk: helpDesk, message: '' }), 400, {
      message: ['This field may not be blank.'],
    });
    await expectRefused(sendJson({ help_desk: helpDesk, message: ' \n\t ' }), 400, {
      message: ['This field may not be blank.'],
    });
  });

  it('message over MAX_MESSAGE_CHARS, counted in characters as DRF counts them', async () => {
    const tooLong = { message: 'x'.repeat(MAX_MESSAGE_CHARS + 1), help_desk: helpDesk };
    await expectRefused(sendJson(tooLong), 400, {
      message: [`Ensure this field has no more than ${MAX_MESSAGE_CHARS} characters.`],
    });
    await expectRefused(sendJson({ ...tooLong, message: '😀'.repeat(MAX_MESSAGE_CHARS + 1) }), 400, {
      message: [`Ensure this field has no more than ${MAX_MESSAGE_CHARS} characters.`],
    });
    // 20 emoji are 40 UTF-16 units but 20 characters: accepted.
    const res = await api.app.inject(sendJson({ message: '😀'.repeat(MAX_MESSAGE_CHARS), help_desk: helpDesk }));
    expect(res.statusCode).toBe(201);
    expect(res.json<{ message: string }>().message).toBe('😀'.repeat(MAX_MESSAGE_CHARS));
  });

  it('a NUL character (Postgres text cannot hold it)', async () => {
    await expectRefused(sendJson({ message: 'a\u0000b', help_desk: helpDesk }), 400, {
      message: ['Null characters are not allowed.'],
    });
  });

  it('invalid JSON', async () => {
    for (const text of ['{"message": "hi", "help_desk": ', '{message: 1}', '   ', '{"a":1}}']) {
      const before = await api.traces();
      const res = await api.app.inject(sendRaw('application/json', text));
      expect(res.statusCode).toBe(400);
      const body = res.json<Record<string, unknown>>();
      expect(Object.keys(body)).toEqual(['detail']);
      expect(body.detail).toMatch(/^JSON parse error - \S/);
      expect(await api.traces()).toEqual(before);
    }
  });

  it('an empty body, or none, is no fields at all (as DRF reads it)', async () => {
    await expectRefused(sendRaw('application/json', ''), 400, { help_desk: ['This field is required.'] });
    await expectRefused({ method: 'POST', url: '/api/send-message/' }, 400, { help_desk: ['This field is required.'] });
    await expectRefused(sendJson({}), 400, { help_desk: ['This field is required.'] });
  });

  it('a JSON body that is not an object', async () => {
    await expectRefused(sendRaw('application/json', 'null'), 400, { non_field_errors: ['No data provided'] });
    const cases: Array<[unknown, string]> = [
      [[{ message: 'hi', help_desk: helpDesk }], 'list'],
      ['hi', 'str'],
      [5, 'int'],
      [1.5, 'float'],
      [true, 'bool'],
    ];
    for (const [payload, type] of cases) {
      await expectRefused(sendJson(payload), 400, {
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`],
      });
    }
  });

  it('wrong types', async () => {
    await expectRefused(sendJson({ message: 5, help_desk: 7 }), 400, {
      message: ['Not a valid string.'],
      help_desk: ['Must be a valid UUID.'],
    });
    await expectRefused(sendJson({ message: null, help_desk: null }), 400, {
      message: ['This field may not be null.'],
      help_desk: ['This field may not be null.'],
    });
    await expectRefused(sendJson({ message: ['hi'], help_desk: { uuid: helpDesk } }), 400, {
      message: ['Not a valid string.'],
      help_desk: ['Must be a valid UUID.'],
    });
    await expectRefused(sendJson({ message: true, help_desk: helpDesk }), 400, { message: ['Not a valid string.'] });
  });

  it('a JSON __proto__ key is refused, not merged', async () => {
    const before = await api.traces();
    const res = await api.app.inject(
      sendRaw('application/json', `{"__proto__": {"help_desk": "${helpDesk}"}, "message": "hi"}`),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toMatch(/^JSON parse error - /);
    expect(await api.traces()).toEqual(before);
  });

  it('unsupported content types', async () => {
    const text = `message=hi&help_desk=${helpDesk}`;
    for (const type of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/xml',
      'application/vnd.api+json',
      'image/png',
    ]) {
      await expectRefused(sendRaw(type, text), 415, { detail: `Unsupported media type "${type}" in request.` });
    }
  });

  it('a JSON or form body over MAX_BODY_BYTES', async () => {
    const big = 'x'.repeat(MAX_BODY_BYTES);
    await expectRefused(sendJson({ message: big, help_desk: helpDesk }), 413, {
      detail: `Request body is larger than ${MAX_BODY_BYTES} bytes.`,
    });
    await expectRefused(sendRaw('application/x-www-form-urlencoded', `help_desk=${helpDesk}&message=${big}`), 413, {
      detail: `Request body is larger than ${MAX_BODY_BYTES} bytes.`,
    });
  });
});

describe('GET /api/help-desks/ with a bad organization', () => {
  it('missing, unknown or malformed', async () => {
    await expectRefused({ url: '/api/help-desks/' }, 400, { organization: ['This field is required.'] });
    await expectRefused({ url: `/api/help-desks/?organization=${uniqueName('nobody')}` }, 404, {
      detail: 'Not found.',
    });
    const slug = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.';
    for (const name of ['a%20b', 'a.b', 'a%2Fb', '%C3%A9', 'a%00']) {
      await expectRefused({ url: `/api/help-desks/?organization=${name}` }, 400, { organization: [slug] });
    }
    await expectRefused({ url: '/api/help-desks/?organization=' }, 400, {
      organization: ['This field may not be blank.'],
    });
    await expectRefused({ url: `/api/help-desks/?organization=${'a'.repeat(65)}` }, 400, {
      organization: ['Ensure this field has no more than 64 characters.'],
    });
  });

  it('a repeated ?organization= counts once, the last one, as Django reads it', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'twice');
    const res = await api.app.inject({
      url: `/api/help-desks/?organization=${uniqueName('other')}&organization=${organization}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<Array<{ uuid: string }>>().map((d) => d.uuid)).toEqual([helpDesk.uuid]);
  });

  it('GET /api/clients/ follows the same rules', async () => {
    await expectRefused({ url: '/api/clients/' }, 400, { organization: ['This field is required.'] });
    await expectRefused({ url: `/api/clients/?organization=${uniqueName('nobody')}` }, 404, { detail: 'Not found.' });
  });
});

describe('GET /api/help-desks/<uuid>/history/ of no help desk', () => {
  it('unknown, malformed or undecodable uuids are not found', async () => {
    const { helpDesk } = await createOrganization(api, 'history');
    const paths = [
      '0b6b4a5e-7c1d-4f0e-9a51-3f1f3c2d9e77',
      'not-a-uuid',
      `urn:uuid:${helpDesk.uuid}`,
      `${helpDesk.uuid}0`,
      '%zz',
      '%C0%AF',
      'x'.repeat(600),
    ];
    for (const path of paths) {
      await expectRefused({ url: `/api/help-desks/${path}/history/` }, 404, { detail: 'Not found.' });
    }
  });
});

describe('methods and paths', () => {
  it('a known path with a method it does not serve: 405 with Allow, before the body is read', async () => {
    const { headers } = await expectRefused({ method: 'PUT', url: '/api/send-message/' }, 405, {
      detail: 'Method "PUT" not allowed.',
    });
    expect(headers.allow).toBe('POST');
    const withBody = await expectRefused(
      {
        method: 'PATCH',
        url: '/api/send-message/',
        headers: { 'content-type': 'text/plain' },
        payload: 'x'.repeat(MAX_BODY_BYTES * 2),
      },
      405,
      { detail: 'Method "PATCH" not allowed.' },
    );
    expect(withBody.headers.allow).toBe('POST');
    const get = await expectRefused({ method: 'GET', url: '/api/send-message/' }, 405, {
      detail: 'Method "GET" not allowed.',
    });
    expect(get.headers.allow).toBe('POST');

    const history = await expectRefused(
      { method: 'DELETE', url: '/api/help-desks/0b6b4a5e-7c1d-4f0e-9a51-3f1f3c2d9e77/history/' },
      405,
      { detail: 'Method "DELETE" not allowed.' },
    );
    expect(history.headers.allow).toBe('GET, HEAD');
    for (const url of ['/api/help-desks/', '/api/organizations/', '/api/clients/']) {
      const res = await expectRefused({ method: 'DELETE', url }, 405, { detail: 'Method "DELETE" not allowed.' });
      expect(res.headers.allow).toBe('GET, POST, HEAD'); // DRF's order: GET, POST, PUT, PATCH, DELETE, HEAD
    }
    const file = await expectRefused({ method: 'PUT', url: `/api/files/${'a'.repeat(32)}/x.txt` }, 405, {
      detail: 'Method "PUT" not allowed.',
    });
    expect(file.headers.allow).toBe('GET, HEAD');
  });

  it('unknown paths', async () => {
    for (const request of [
      { url: '/nope' },
      { url: '/api/' },
      { url: '/api/help-desks/x/y/' },
      { method: 'POST' as const, url: '/api/messages/', headers: { 'content-type': 'text/plain' }, payload: 'x' },
      { url: '/api/files/not-a-key/x.txt' },
      { url: `/api/files/${'a'.repeat(32)}/x.txt` },
    ]) {
      await expectRefused(request, 404, { detail: 'Not found.' });
    }
  });
});

describe('administration routes with bad input', () => {
  it('organizations: duplicate, malformed or missing name', async () => {
    const { name } = await createOrganizationWithKey(api, 'dup');
    await expectRefused({ method: 'POST', url: '/api/organizations/', payload: { name } }, 400, {
      name: ['organization with this name already exists.'],
    });
    await expectRefused({ method: 'POST', url: '/api/organizations/', payload: { name: 'a b' } }, 400, {
      name: ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'],
    });
    await expectRefused({ method: 'POST', url: '/api/organizations/', payload: {} }, 400, {
      name: ['This field is required.'],
    });
    await expectRefused({ method: 'POST', url: '/api/organizations/', payload: { name: 42 } }, 400, {
      name: ['Not a valid string.'],
    });
    await expectRefused(
      { method: 'POST', url: '/api/organizations/', headers: { 'content-type': 'text/plain' }, payload: name },
      415,
      {
        detail: 'Unsupported media type "text/plain" in request.',
      },
    );
  });

  it('two concurrent creations of one name: one 201, one field error', async () => {
    const name = uniqueName('race');
    const answers = await Promise.all(
      [1, 2].map(() => api.app.inject({ method: 'POST', url: '/api/organizations/', payload: { name } })),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 400]);
    expect(answers.find((r) => r.statusCode === 400)?.json()).toEqual({
      name: ['organization with this name already exists.'],
    });
  });

  it('clients: unknown organization, missing or bad fields', async () => {
    const { name: organization } = await createOrganizationWithKey(api, 'clients');
    const post = (payload: unknown): InjectOptions => ({
      method: 'POST',
      url: '/api/clients/',
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });
    await expectRefused(post({ organization: uniqueName('nobody'), name: 'Ana', phone: '1' }), 404, {
      detail: 'Not found.',
    });
    await expectRefused(post({ organization }), 400, {
      name: ['This field is required.'],
      phone: ['This field is required.'],
    });
    await expectRefused(post({ organization, name: '', phone: '1' }), 400, { name: ['This field may not be blank.'] });
    await expectRefused(post({ organization, name: 'x'.repeat(256), phone: '1' }), 400, {
      name: ['Ensure this field has no more than 255 characters.'],
    });
    await expectRefused(post({ organization, name: 'Ana\u0000', phone: '1\u0000' }), 400, {
      name: ['Null characters are not allowed.'],
      phone: ['Null characters are not allowed.'],
    });
  });

  it("help desks: another organization's client, unknown organization, malformed client", async () => {
    const { name: mine } = await createOrganizationWithKey(api, 'mine');
    const { name: theirs } = await createOrganizationWithKey(api, 'theirs');
    const theirClient = await createClient(api, theirs);
    const post = (payload: unknown): InjectOptions => ({
      method: 'POST',
      url: '/api/help-desks/',
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });
    await expectRefused(post({ organization: mine, client: theirClient.uuid }), 400, {
      client: [`Invalid pk "${theirClient.uuid}" - object does not exist.`],
    });
    await expectRefused(post({ organization: uniqueName('nobody'), client: theirClient.uuid }), 404, {
      detail: 'Not found.',
    });
    for (const client of ['nope', `urn:uuid:${theirClient.uuid}`]) {
      await expectRefused(post({ organization: mine, client }), 400, { client: ['Must be a valid UUID.'] });
    }
    await expectRefused(post({ organization: mine }), 400, { client: ['This field is required.'] });
    // Still fine for its own organization.
    await createHelpDesk(api, theirs, theirClient.uuid);
  });
});
