import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createOrganization } from '../../../test/organization.js';
import { MESSAGE_KEYS, multipartBody, startApi, useApi } from './api-harness.js';

// POST /api/send-message/ as browsers and old clients send it: form-urlencoded and multipart,
// with and without a file. Same answers as JSON; a file comes back as an absolute URL that serves
// the exact bytes; a refused upload leaves no file anywhere.

const MAX_FILE_BYTES = 1024;
// A Host the client chose; file URLs start with the api's own origin (HOST and PORT unset) instead.
const HOST = 'chat.example.com:8443';
const FILE_URL = /^http:\/\/localhost:8000\/api\/files\/([0-9a-f]{32})\/([^/]+)$/;

const api = useApi({ MAX_FILE_BYTES: String(MAX_FILE_BYTES), MAX_MESSAGE_CHARS: '20' });

type Message = Record<(typeof MESSAGE_KEYS)[number], unknown> & { file: string | null; uuid: string };

function form(fields: Record<string, string>, extra?: Blob & { name?: string }, fileName = 'note.txt'): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  if (extra) data.append('file', extra, fileName);
  return data;
}

function post(payload: InjectOptions['payload'], headers: Record<string, string> = {}): InjectOptions {
  return { method: 'POST', url: '/api/send-message/', headers: { host: HOST, ...headers }, payload };
}

/** GETs a file URL through the api, by its path (the app is not listening). */
async function fetchFile(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const { pathname } = new URL(url);
  return api.app.inject({ method: 'GET', url: pathname, headers });
}

async function expectRefused(request: InjectOptions, status: number, body: unknown): Promise<void> {
  const before = await api.traces();
  const res = await api.app.inject(request);
  expect({ status: res.statusCode, body: res.json<unknown>() }).toEqual({ status, body });
  const after = await api.traces();
  expect(after).toEqual(before);
  expect(after.spoolFiles).toEqual([]);
}

describe('form-urlencoded', () => {
  it('sends a message, answered exactly as JSON is', async () => {
    const { helpDesk } = await createOrganization(api, 'form');
    const res = await api.app.inject(
      post(new URLSearchParams({ message: 'olá, tudo bem? & = +', help_desk: helpDesk.uuid }).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    );
    expect(res.statusCode).toBe(201);
    const message = res.json<Message>();
    expect(Object.keys(message)).toEqual(MESSAGE_KEYS);
    expect(message).toMatchObject({
      message: 'olá, tudo bem? & = +',
      file: null,
      type: 'sent',
      status: 'sent',
      help_desk: helpDesk.uuid,
    });
    const history = await api.app.inject({ url: `/api/help-desks/${helpDesk.uuid}/history/` });
    expect(history.json()).toEqual([message]);
  });

  it('refuses bad fields with the same answers as JSON', async () => {
    const { helpDesk } = await createOrganization(api, 'form-bad');
    const send = (fields: Record<string, string>) =>
      post(new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    const unknown = '0b6b4a5e-7c1d-4f0e-9a51-3f1f3c2d9e77';
    await expectRefused(send({ message: 'hi' }), 400, { help_desk: ['This field is required.'] });
    await expectRefused(send({ message: 'hi', help_desk: 'nope' }), 400, { help_desk: ['Must be a valid UUID.'] });
    await expectRefused(send({ message: 'hi', help_desk: unknown }), 400, {
      help_desk: [`Invalid pk "${unknown}" - object does not exist.`],
    });
    await expectRefused(send({ help_desk: helpDesk.uuid }), 400, { message: ['This field is required.'] });
    await expectRefused(send({ message: '  ', help_desk: helpDesk.uuid }), 400, {
      message: ['This field may not be blank.'],
    });
    await expectRefused(send({ message: 'x'.repeat(21), help_desk: helpDesk.uuid }), 400, {
      message: ['Ensure this field has no more than 20 characters.'],
    });
    await expectRefused(send({ message: 'a\u0000', help_desk: helpDesk.uuid }), 400, {
      message: ['Null characters are not allowed.'],
    });
    await expectRefused(post('', { 'content-type': 'application/x-www-form-urlencoded' }), 400, {
      help_desk: ['This field is required.'],
    });
  });

  it('a repeated key counts once, the last one, as Django reads it', async () => {
    const { helpDesk } = await createOrganization(api, 'form-twice');
    const res = await api.app.inject(
      post(`message=first&help_desk=nope&message=second&help_desk=${helpDesk.uuid}`, {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json<Message>().message).toBe('second');
  });
});

describe('multipart', () => {
  it('without a file: answered exactly as JSON is', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-text');
    const res = await api.app.inject(post(form({ message: 'só texto', help_desk: helpDesk.uuid })));
    expect(res.statusCode).toBe(201);
    const message = res.json<Message>();
    expect(Object.keys(message)).toEqual(MESSAGE_KEYS);
    expect(message).toMatchObject({ message: 'só texto', file: null, type: 'sent', status: 'sent' });
  });

  it('with a file: an absolute URL on the api origin that serves the exact bytes as an attachment', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'mp-file');
    const bytes = randomBytes(MAX_FILE_BYTES); // exactly the limit: accepted
    const eventsBefore = (await api.traces()).events.length;
    const res = await api.app.inject(
      post(
        form(
          { message: 'segue o arquivo', help_desk: helpDesk.uuid },
          new Blob([bytes], { type: 'application/pdf' }),
          'relatório final (1).pdf',
        ),
      ),
    );
    expect(res.statusCode).toBe(201);
    const message = res.json<Message>();
    expect(Object.keys(message)).toEqual(MESSAGE_KEYS);
    expect(message).toMatchObject({
      message: 'segue o arquivo',
      type: 'sent',
      status: 'sent',
      help_desk: helpDesk.uuid,
    });
    const [, key, segment] = FILE_URL.exec(String(message.file)) ?? [];
    expect(key).toBeDefined();
    expect(decodeURIComponent(segment!)).toBe('relatório final (1).pdf');

    const file = await fetchFile(message.file!);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(bytes)).toBe(true);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-length']).toBe(String(bytes.length));
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="relat_rio final (1).pdf"; filename*=UTF-8''relat%C3%B3rio%20final%20%281%29.pdf`,
    );

    // Everywhere the message appears, the same URL; the events carry it too.
    const history = await api.app.inject({ url: `/api/help-desks/${helpDesk.uuid}/history/`, headers: { host: HOST } });
    expect(history.json()).toEqual([message]);
    const list = await api.app.inject({
      url: `/api/help-desks/?organization=${organization}`,
      headers: { host: HOST },
    });
    expect(list.json<Array<{ last_message: unknown }>>()[0]!.last_message).toEqual(message);
    const events = (await api.traces()).events
      .slice(eventsBefore)
      .map(([, payload]) => JSON.parse(payload) as { type: string; data: string });
    expect(events.map((e) => e.type)).toEqual(['new_message', 'update_helpdesk', 'update_message']);
    expect((JSON.parse(events[0]!.data) as Message).file).toBe(message.file);
    expect(JSON.parse(events[2]!.data)).toEqual(message);

    const { storedFiles, spoolFiles } = await api.traces();
    expect(storedFiles).toContain(`${key!.slice(0, 2)}/${key!}`);
    expect(spoolFiles).toEqual([]);
  });

  it('serves only harmless types inline-capable; anything else as application/octet-stream', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-types');
    const cases: Array<[string, string]> = [
      ['text/html', 'application/octet-stream'],
      ['image/svg+xml', 'application/octet-stream'],
      ['application/javascript', 'application/octet-stream'],
      ['image/png', 'image/png'],
    ];
    for (const [sent, served] of cases) {
      const res = await api.app.inject(
        post(form({ help_desk: helpDesk.uuid }, new Blob(['<script>1</script>'], { type: sent }), 'x.html')),
      );
      expect(res.statusCode).toBe(201);
      const file = await fetchFile(res.json<Message>().file!);
      expect(file.headers['content-type']).toBe(served);
      expect(file.headers['content-disposition']).toMatch(/^attachment; /);
    }
  });

  it('makes the spool folder again when a temp-folder cleaner removed it while the api ran', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-cleaner');
    await rm(api.spoolDir, { recursive: true, force: true });
    const body = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'file', value: 'after the cleaner', filename: 'c.txt', contentType: 'text/plain' },
    ]);
    const res = await api.app.inject(post(body.payload, body.headers));
    expect(res.statusCode).toBe(201);
    const { file } = res.json<Message>();
    const served = await api.app.inject({ url: new URL(file!).pathname, headers: { host: HOST } });
    expect(served.body).toBe('after the cleaner');
    expect((await api.traces()).spoolFiles).toEqual([]);
  });

  it('the file part may come before the help_desk field', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-order');
    const body = multipartBody([
      { name: 'file', value: 'first bytes', filename: 'a.txt', contentType: 'text/plain' },
      { name: 'message', value: 'depois' },
      { name: 'help_desk', value: helpDesk.uuid },
    ]);
    const res = await api.app.inject(post(body.payload, body.headers));
    expect(res.statusCode).toBe(201);
    const message = res.json<Message>();
    expect(message.message).toBe('depois');
    expect((await fetchFile(message.file!)).payload).toBe('first bytes');
  });

  it('a file alone is a message (empty text)', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-alone');
    const res = await api.app.inject(post(form({ help_desk: helpDesk.uuid }, new Blob(['x']))));
    expect(res.statusCode).toBe(201);
    expect(res.json<Message>()).toMatchObject({ message: '', file: expect.stringMatching(FILE_URL) as unknown });
  });

  it('file names: paths and control characters stripped, long names cut, every one served back', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-names');
    const long = `${'a'.repeat(250)}😀😀😀.txt`;
    const cases: Array<[string, string]> = [
      ['C:\\Users\\ana\\report.txt', 'report.txt'],
      ['../../etc/passwd', 'passwd'],
      ['...', '...'],
      ['tab\there.txt', 'tabhere.txt'],
      [long, `${'a'.repeat(250)}😀`],
      ["it's (final) *draft*!.txt", "it's (final) *draft*!.txt"],
    ];
    for (const [sent, kept] of cases) {
      const body = multipartBody([
        { name: 'help_desk', value: helpDesk.uuid },
        { name: 'file', value: 'content', filename: sent },
      ]);
      const res = await api.app.inject(post(body.payload, body.headers));
      expect({ sent, status: res.statusCode, body: res.statusCode === 201 ? '' : res.body }).toEqual({
        sent,
        status: 201,
        body: '',
      });
      const url = res.json<Message>().file!;
      const [, , segment] = FILE_URL.exec(url) ?? [];
      expect(decodeURIComponent(segment!)).toBe(kept);
      const file = await fetchFile(url);
      expect(file.statusCode).toBe(200);
      expect(file.payload).toBe('content');
      const disposition = String(file.headers['content-disposition']);
      expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!._~-]+$/);
      expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe(kept);
    }
  });

  it('an empty file input (no file chosen) is no file; an empty file is refused', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-empty');
    // Django skips a file part whose name is empty, "." or "..": no file.
    for (const filename of ['', '.', '..']) {
      const noneChosen = multipartBody([
        { name: 'message', value: 'sem anexo' },
        { name: 'help_desk', value: helpDesk.uuid },
        { name: 'file', value: '', filename, contentType: 'application/octet-stream' },
      ]);
      const res = await api.app.inject(post(noneChosen.payload, noneChosen.headers));
      expect(res.statusCode).toBe(201);
      expect(res.json<Message>()).toMatchObject({ message: 'sem anexo', file: null });
    }

    const empty = multipartBody([
      { name: 'message', value: 'hi' },
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'file', value: '', filename: 'empty.txt' },
    ]);
    await expectRefused(post(empty.payload, empty.headers), 400, { file: ['The submitted file is empty.'] });
  });

  it('refuses bad fields with the same answers as JSON, keeping no file', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-bad');
    const unknown = '0b6b4a5e-7c1d-4f0e-9a51-3f1f3c2d9e77';
    const withFile = (fields: Record<string, string>) => post(form(fields, new Blob(['some bytes'])));
    await expectRefused(withFile({ message: 'hi' }), 400, { help_desk: ['This field is required.'] });
    await expectRefused(withFile({ help_desk: `urn:uuid:${helpDesk.uuid}` }), 400, {
      help_desk: ['Must be a valid UUID.'],
    });
    await expectRefused(withFile({ help_desk: unknown }), 400, {
      help_desk: [`Invalid pk "${unknown}" - object does not exist.`],
    });
    await expectRefused(withFile({ help_desk: helpDesk.uuid, message: 'x'.repeat(21) }), 400, {
      message: ['Ensure this field has no more than 20 characters.'],
    });
    await expectRefused(withFile({ help_desk: helpDesk.uuid, message: 'a\u0000' }), 400, {
      message: ['Null characters are not allowed.'],
    });
    await expectRefused(post(form({ help_desk: helpDesk.uuid })), 400, { message: ['This field is required.'] });
    await expectRefused(post(form({ help_desk: helpDesk.uuid, message: ' ' })), 400, {
      message: ['This field may not be blank.'],
    });
  });

  it('a file over MAX_FILE_BYTES: 413, nothing stored nor spooled', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-big');
    await expectRefused(
      post(form({ message: 'big', help_desk: helpDesk.uuid }, new Blob([randomBytes(MAX_FILE_BYTES + 1)]))),
      413,
      {
        detail: `File is larger than ${MAX_FILE_BYTES} bytes.`,
      },
    );
    // Much larger, and before the fields.
    const body = multipartBody([
      { name: 'file', value: randomBytes(MAX_FILE_BYTES * 64), filename: 'big.bin' },
      { name: 'help_desk', value: helpDesk.uuid },
    ]);
    await expectRefused(post(body.payload, body.headers), 413, {
      detail: `File is larger than ${MAX_FILE_BYTES} bytes.`,
    });
  });

  it('two files: the last one counts (as Django reads a form); five: 413; a file under another name: 400', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-two');
    const two = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'file', value: 'one', filename: 'one.txt' },
      { name: 'file', value: 'two', filename: 'two.txt' },
    ]);
    const res = await api.app.inject(post(two.payload, two.headers));
    expect(res.statusCode).toBe(201);
    const file = String(res.json<Message>().file);
    expect(file).toMatch(/\/two\.txt$/);
    expect((await fetchFile(file)).body).toBe('two');
    // The first was spooled, then discarded: only the last reached the store.
    const after = await api.traces();
    expect(after.spoolFiles).toEqual([]);
    expect(after.storedFiles.filter((stored) => stored.endsWith(file.split('/')[5]!))).toHaveLength(1);

    const five = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      ...Array.from({ length: 5 }, (_, i) => ({ name: 'file', value: `f${i}`, filename: `f${i}.txt` })),
    ]);
    await expectRefused(post(five.payload, five.headers), 413, { detail: 'Too many files: send one, as "file".' });
    const other = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'attachment', value: 'one', filename: 'one.txt' },
    ]);
    await expectRefused(post(other.payload, other.headers), 400, {
      attachment: ['Unexpected file; send it as "file".'],
    });
  });

  it('a `file` that is not a file (a text part, a JSON or form value) is refused on `file`; null or empty is no file', async () => {
    const { helpDesk } = await createOrganization(api, 'not-a-file');
    const notAFile = { file: ['The submitted data was not a file. Check the encoding type on the form.'] };
    const text = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'file', value: 'notafile' },
    ]);
    await expectRefused(post(text.payload, text.headers), 400, notAFile);
    const json = { 'content-type': 'application/json' };
    await expectRefused(
      post(JSON.stringify({ help_desk: helpDesk.uuid, message: 'x', file: 'abc' }), json),
      400,
      notAFile,
    );
    await expectRefused(
      post(JSON.stringify({ help_desk: helpDesk.uuid, message: 'x', file: {} }), json),
      400,
      notAFile,
    );
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    await expectRefused(post(`help_desk=${helpDesk.uuid}&message=x&file=abc`, formType), 400, notAFile);
    for (const [payload, headers] of [
      [JSON.stringify({ help_desk: helpDesk.uuid, message: 'null file', file: null }), json],
      [`help_desk=${helpDesk.uuid}&message=empty+file&file=`, formType],
    ] as const) {
      const res = await api.app.inject(post(payload, headers));
      expect([res.statusCode, res.json<Message>().file]).toEqual([201, null]);
    }
  });

  it('trims the text around the message, as DRF does, and refuses text that is only whitespace', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'trim');
    const json = { 'content-type': 'application/json' };
    const res = await api.app.inject(post(JSON.stringify({ help_desk: helpDesk.uuid, message: '  olá \n\t' }), json));
    expect([res.statusCode, res.json<Message>().message]).toEqual([201, 'olá']);
    // Counted after trimming: MAX_MESSAGE_CHARS (20) characters and surrounding spaces pass.
    const full = await api.app.inject(
      post(JSON.stringify({ help_desk: helpDesk.uuid, message: ` ${'x'.repeat(20)} ` }), json),
    );
    expect([full.statusCode, full.json<Message>().message]).toEqual([201, 'x'.repeat(20)]);
    const received = await api.app.inject({
      method: 'POST',
      url: '/api/receive-message/',
      headers: json,
      payload: { organization, client: { name: 'Ana', phone: '55' }, message: ' oi\n' },
    });
    expect([received.statusCode, received.json<Message>().message]).toEqual([201, 'oi']);
    await expectRefused(post(JSON.stringify({ help_desk: helpDesk.uuid, message: ' \n ' }), json), 400, {
      message: ['This field may not be blank.'],
    });
  });

  it('too many fields or an over-long field: 413, nothing kept', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-fields');
    const many = multipartBody([
      { name: 'file', value: 'spooled first', filename: 'a.txt' },
      { name: 'help_desk', value: helpDesk.uuid },
      ...Array.from({ length: 25 }, (_, i) => ({ name: `extra${i}`, value: 'x' })),
    ]);
    await expectRefused(post(many.payload, many.headers), 413, { detail: 'Too many form fields.' });
    // Fields are read up to 4 bytes per allowed character (MAX_MESSAGE_CHARS=20).
    const long = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'message', value: 'x'.repeat(81) },
    ]);
    await expectRefused(post(long.payload, long.headers), 413, { detail: 'Field "message" is too long.' });
  });

  it('a part declared JSON is read as JSON: a string passes, anything else is refused', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-json');
    const ok = multipartBody([
      { name: 'help_desk', value: JSON.stringify(helpDesk.uuid), contentType: 'application/json' },
      { name: 'message', value: 'json part' },
    ]);
    expect((await api.app.inject(post(ok.payload, ok.headers))).statusCode).toBe(201);
    const object = multipartBody([
      { name: 'help_desk', value: '{"uuid": 1}', contentType: 'application/json' },
      { name: 'message', value: 'json part' },
    ]);
    await expectRefused(post(object.payload, object.headers), 400, { help_desk: ['Must be a valid UUID.'] });
    const broken = multipartBody([{ name: 'help_desk', value: '{', contentType: 'application/json' }]);
    const before = await api.traces();
    const res = await api.app.inject(post(broken.payload, broken.headers));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toMatch(/^Multipart form parse error - /);
    expect(await api.traces()).toEqual(before);
  });

  it('malformed bodies: 400 "Multipart form parse error", promptly, nothing kept', async () => {
    const { helpDesk } = await createOrganization(api, 'mp-broken');
    const complete = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: 'file', value: 'the whole file content', filename: 'cut.txt' },
    ]);
    // Cut in the middle of the file part: the closing boundary never comes.
    const cut = complete.payload.subarray(0, complete.payload.indexOf('whole') + 2);
    const cases: InjectOptions[] = [
      post(cut, complete.headers),
      post('--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc', {
        'content-type': 'multipart/form-data; boundary=x',
      }),
      post('anything', { 'content-type': 'multipart/form-data' }),
    ];
    for (const request of cases) {
      const before = await api.traces();
      const res = await api.app.inject(request);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ detail: string }>().detail).toMatch(/^Multipart form parse error - \S/);
      expect(await api.traces()).toEqual(before);
    }
    const proto = multipartBody([
      { name: 'help_desk', value: helpDesk.uuid },
      { name: '__proto__', value: 'x' },
    ]);
    const res = await api.app.inject(post(proto.payload, proto.headers));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toMatch(/^Multipart form parse error - /);
  });
});

describe('Idempotency-Key with a file', () => {
  it('recognises the request by the file bytes, not only its name and size', async () => {
    const { helpDesk } = await createOrganization(api, 'idem-file');
    const headers = { 'idempotency-key': 'with-file-1' };
    const first = await api.app.inject(post(form({ help_desk: helpDesk.uuid }, new Blob(['aaaa'])), headers));
    expect(first.statusCode).toBe(201);
    const retry = await api.app.inject(post(form({ help_desk: helpDesk.uuid }, new Blob(['aaaa'])), headers));
    expect([retry.statusCode, retry.headers['idempotent-replayed'], retry.payload]).toEqual([
      201,
      'true',
      first.payload,
    ]);
    const otherBytes = await api.app.inject(post(form({ help_desk: helpDesk.uuid }, new Blob(['bbbb'])), headers));
    expect([otherBytes.statusCode, otherBytes.json()]).toEqual([
      422,
      { detail: 'This Idempotency-Key was already used with another request.' },
    ]);
  });
});

describe('where file URLs point', () => {
  it('never where the request says: Host, X-Forwarded-* and Forwarded are ignored, from any peer', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'proxy');
    const forwarded = {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example.org',
      forwarded: 'host=public.example.org;proto=https',
    };
    for (const remoteAddress of ['127.0.0.1', '10.0.0.7', '203.0.113.9']) {
      for (const host of ['attacker.example', 'localhost:1234', 'a b']) {
        const res = await api.app.inject({
          ...post(form({ help_desk: helpDesk.uuid }, new Blob(['p'])), { ...forwarded, host }),
          remoteAddress,
        });
        expect(res.json<Message>().file).toMatch(FILE_URL);
      }
    }
    const list = await api.app.inject({
      url: `/api/help-desks/?organization=${organization}`,
      headers: { ...forwarded, host: 'attacker.example' },
    });
    expect(list.json<Array<{ last_message: Message }>>()[0]!.last_message.file).toMatch(FILE_URL);
  });

  it('a listening api on an ephemeral port writes its bound origin, whatever the request says', async () => {
    const listening = await startApi({ HOST: '127.0.0.1', PORT: '0', TRUST_PROXY: '1' });
    try {
      const { helpDesk } = await createOrganization(listening, 'listening');
      await listening.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = listening.app.server.address() as { port: number };
      const body = new FormData();
      body.append('help_desk', helpDesk.uuid);
      body.append('file', new Blob(['l']), 'note.txt');
      const res = await fetch(`http://127.0.0.1:${port}/api/send-message/`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${listening.adminToken}`,
          'x-forwarded-host': 'attacker.example',
          'x-forwarded-proto': 'https',
        },
        body,
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as Message).file).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${port}/api/files/[0-9a-f]{32}/note\\.txt$`),
      );
    } finally {
      await listening.close();
    }
  });

  it('PUBLIC_BASE_URL wins over the request', async () => {
    const other = await startApi({ PUBLIC_BASE_URL: 'https://cdn.example.net/chat/' });
    try {
      const { name: organization, helpDesk } = await createOrganization(other, 'public');
      const res = await other.app.inject({
        ...post(form({ help_desk: helpDesk.uuid }, new Blob(['public bytes']), 'a b.txt'), {
          'x-forwarded-host': 'ignored.example',
        }),
      });
      expect(res.statusCode).toBe(201);
      const message = res.json<Message>();
      expect(message.file).toMatch(/^https:\/\/cdn\.example\.net\/chat\/api\/files\/[0-9a-f]{32}\/a%20b\.txt$/);
      const list = await other.app.inject({ url: `/api/help-desks/?organization=${organization}` });
      expect(list.json<Array<{ last_message: Message }>>()[0]!.last_message.file).toBe(message.file);
      // The api serves the file at /api/files/…; the prefix is the proxy's to strip.
      const path = new URL(message.file!).pathname.replace(/^\/chat/, '');
      const file = await other.app.inject({ url: path });
      expect(file.payload).toBe('public bytes');
    } finally {
      await other.close();
    }
  });
});
