import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { createClient } from './client.js';
import { nextLink } from './link-header.js';

/** A fetch double that records each request and answers from `answer`. */
function fakeFetch(answer: (request: Request) => Response | Promise<Response>) {
  const requests: Request[] = [];
  return {
    requests,
    fetch: (request: Request) => {
      requests.push(request.clone());
      return Promise.resolve(answer(request));
    },
  };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

describe('nextLink', () => {
  it('finds rel="next" among other links and parameters', () => {
    expect(nextLink(null)).toBeUndefined();
    expect(nextLink('</api/x/?limit=2&before=abc>; rel="next"')).toBe('/api/x/?limit=2&before=abc');
    expect(nextLink('<https://a/1>; rel="prev", <https://a/3>; title="x"; rel="last next"')).toBe('https://a/3');
    expect(nextLink('<https://a/1>; rel=next')).toBe('https://a/1');
    expect(nextLink('<https://a/1>; rel="nextpage"')).toBeUndefined();
  });
});

describe('createClient REST helpers', () => {
  it('follows relative Link headers page after page, with the key on each request', async () => {
    const { fetch, requests } = fakeFetch((request) => {
      const before = new URL(request.url).searchParams.get('before');
      if (before === null)
        return json([{ uuid: 'm3' }, { uuid: 'm4' }], {
          headers: { link: '</api/help-desks/d/history/?limit=2&before=m3>; rel="next"' },
        });
      return json([{ uuid: 'm1' }, { uuid: 'm2' }]);
    });
    const client = createClient({ baseUrl: 'http://api.test/', apiKey: 'hdk_k', fetch });
    const pages = [];
    for await (const page of client.history('d', { limit: 2 })) pages.push(page.map((m) => m.uuid));
    expect(pages).toEqual([
      ['m3', 'm4'],
      ['m1', 'm2'],
    ]);
    expect(requests.map((r) => [r.url, r.headers.get('authorization')])).toEqual([
      ['http://api.test/api/help-desks/d/history/?limit=2', 'Bearer hdk_k'],
      ['http://api.test/api/help-desks/d/history/?limit=2&before=m3', 'Bearer hdk_k'],
    ]);
  });

  it("searches help desks: the first request carries the search, the next ones the api's Link", async () => {
    const { fetch, requests } = fakeFetch((request) =>
      new URL(request.url).searchParams.has('before')
        ? json([{ uuid: 'd2' }])
        : json([{ uuid: 'd1' }], {
            headers: { link: '</api/help-desks/?organization=acme&limit=1&search=ana+%26+co&before=c1>; rel="next"' },
          }),
    );
    const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch });
    const pages = [];
    for await (const page of client.helpDesks('acme', { limit: 1, search: 'ana & co' })) pages.push(page);
    expect(pages).toEqual([[{ uuid: 'd1' }], [{ uuid: 'd2' }]]);
    expect(requests.map((r) => r.url)).toEqual([
      'http://api.test/api/help-desks/?organization=acme&limit=1&search=ana+%26+co',
      'http://api.test/api/help-desks/?organization=acme&limit=1&search=ana+%26+co&before=c1',
    ]);
  });

  it('throws ApiError with the status and the DRF body', async () => {
    const { fetch } = fakeFetch(() => json({ organization: ['Organization not found.'] }, { status: 400 }));
    const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch });
    const error = await client
      .helpDesks('acme', { status: 'open' })
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, body: { organization: ['Organization not found.'] } });
  });

  it('sends a file as multipart with its name and type, and the idempotency key as a header', async () => {
    const { fetch, requests } = fakeFetch(() => json({ uuid: 'm1' }, { status: 201 }));
    const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch });
    const sent = await client.sendMessage({
      helpDesk: 'd',
      message: 'see attached',
      file: new TextEncoder().encode('bytes'),
      fileName: 'a.txt',
      contentType: 'text/plain',
      idempotencyKey: 'retry-me',
    });
    expect(sent).toEqual({ uuid: 'm1' });
    const request = requests[0]!;
    expect([request.method, request.url, request.headers.get('idempotency-key')]).toEqual([
      'POST',
      'http://api.test/api/send-message/',
      'retry-me',
    ]);
    const form = await request.formData();
    const file = form.get('file') as File;
    expect([form.get('help_desk'), form.get('message'), file.name, file.type, await file.text()]).toEqual([
      'd',
      'see attached',
      'a.txt',
      'text/plain',
      'bytes',
    ]);
  });

  it('reads a stream into the file', async () => {
    const { fetch, requests } = fakeFetch(() => json({ uuid: 'm1' }, { status: 201 }));
    const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch });
    const parts = ['one ', 'two'].map((text) => new TextEncoder().encode(text));
    const stream: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        let i = 0;
        return {
          next: () =>
            Promise.resolve(
              i < parts.length ? { done: false, value: parts[i++]! } : { done: true as const, value: undefined },
            ),
        };
      },
    };
    await client.sendMessage({ helpDesk: 'd', file: stream });
    const file = (await requests[0]!.formData()).get('file') as File;
    expect([file.name, await file.text()]).toEqual(['file', 'one two']);
  });

  it('downloads a file with the key from baseUrl only, whatever origin its URL names', async () => {
    const { fetch, requests } = fakeFetch(
      () => new Response('PDF', { headers: { 'content-type': 'application/pdf' } }),
    );
    const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch });
    const blob = await client.downloadFile('https://elsewhere.example/api/files/abc/invoice.pdf');
    expect([await blob.text(), requests[0]!.url, requests[0]!.headers.get('authorization')]).toEqual([
      'PDF',
      'http://api.test/api/files/abc/invoice.pdf',
      'Bearer k',
    ]);
    await expect(client.downloadFile('https://elsewhere.example/steal')).rejects.toThrow(TypeError);
    expect(requests).toHaveLength(1);
  });
});
