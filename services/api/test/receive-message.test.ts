import { describe, expect, it } from 'vitest';
import { createOrganizationWithKey } from '../../../test/organization.js';
import { MESSAGE_KEYS, asKey, multipartBody, useApi } from './api-harness.js';

// Issue 4, item 3: POST /api/receive-message/, what a channel provider posts when a client writes.

const api = useApi();

type Json = Record<string, unknown>;

const tenant = (stem = 'inbound') => createOrganizationWithKey(api, stem);

const receive = (key: string, payload: unknown) =>
  api.app.inject({ method: 'POST', url: '/api/receive-message/', payload: payload as Json, headers: asKey(key) });

async function helpDesks(organization: string): Promise<Json[]> {
  return (await api.app.inject({ url: `/api/help-desks/?organization=${organization}` })).json<Json[]>();
}

describe('POST /api/receive-message/', () => {
  it('creates the client and its help desk on a first message, then reuses them; answers a received message', async () => {
    const org = await tenant();
    const before = (await api.traces()).events.length;
    const first = await receive(org.key, { client: { name: 'Ana', phone: '5511999' }, message: 'oi' });
    expect(first.statusCode).toBe(201);
    const message = first.json<Json>();
    expect(Object.keys(message)).toEqual(MESSAGE_KEYS);
    expect(message).toMatchObject({ message: 'oi', file: null, type: 'received', status: 'sent' });

    const second = (
      await receive(org.key, { client: { name: 'Ana', phone: '5511999' }, message: 'tudo bem?' })
    ).json<Json>();
    expect(second.help_desk).toBe(message.help_desk);
    const desks = await helpDesks(org.name);
    expect(desks).toHaveLength(1);
    expect(desks[0]).toMatchObject({
      uuid: message.help_desk,
      client: { name: 'Ana', phone: '5511999' },
      last_message: second,
    });

    const { events } = await api.traces();
    const frames = events
      .slice(before)
      .filter(([channel]) => channel === `${api.prefix}org:${org.name}`)
      .map(([, payload]) => JSON.parse(payload) as { type: string; data: string; id: number });
    expect(frames.map((f) => [f.type, f.id])).toEqual([
      ['new_message', 1],
      ['update_helpdesk', 2],
      ['new_message', 3],
      ['update_helpdesk', 4],
    ]);
    expect(JSON.parse(frames[0]!.data)).toEqual(message);
    expect(JSON.parse(frames[3]!.data)).toEqual(desks[0]);
  });

  it('opens a new help desk when the last one was closed; another phone is another client', async () => {
    const org = await tenant();
    const first = (await receive(org.key, { client: { name: 'Ana', phone: '1' }, message: 'a' })).json<Json>();
    const closed = await api.app.inject({
      method: 'PATCH',
      url: `/api/help-desks/${String(first.help_desk)}/`,
      payload: { status: 'closed' },
    });
    expect(closed.statusCode).toBe(200);
    const again = (await receive(org.key, { client: { name: 'Ana', phone: '1' }, message: 'b' })).json<Json>();
    expect(again.help_desk).not.toBe(first.help_desk);
    const other = (await receive(org.key, { client: { name: 'Bia', phone: '2' }, message: 'c' })).json<Json>();
    const desks = await helpDesks(org.name);
    expect(desks.map((d) => d.uuid).sort()).toEqual([first.help_desk, again.help_desk, other.help_desk].sort());
    const clients = (await api.app.inject({ url: `/api/clients/?organization=${org.name}` })).json<Json[]>();
    expect(clients.map((c) => c.phone)).toEqual(['1', '2']);
  });

  it('creates one client and one help desk when first messages from a new phone arrive together', async () => {
    const org = await tenant();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => receive(org.key, { client: { name: 'Ana', phone: '77' }, message: `m${i}` })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.json<Json>().help_desk)).size).toBe(1);
    expect(await helpDesks(org.name)).toHaveLength(1);
  });

  // An agent answers while the client writes: both writers lock the help desk before the
  // organization (its event sequence); another order deadlocks and answers 500.
  it('takes agent sends and client messages on one conversation at once, all of them', async () => {
    const org = await tenant();
    const first = (await receive(org.key, { client: { name: 'Ana', phone: '88' }, message: 'first' })).json<Json>();
    const helpDesk = String(first.help_desk);
    const send = (i: number) =>
      api.app.inject({
        method: 'POST',
        url: '/api/send-message/',
        payload: { help_desk: helpDesk, message: `agent ${i}` },
        headers: asKey(org.key),
      });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? send(i) : receive(org.key, { client: { name: 'Ana', phone: '88' }, message: `client ${i}` }),
      ),
    );
    expect(answers.map((a) => [a.statusCode, a.json<Json>().help_desk])).toEqual(Array(12).fill([201, helpDesk]));
    const history = await api.app.inject({ url: `/api/help-desks/${helpDesk}/history/`, headers: asKey(org.key) });
    expect(history.json<Json[]>()).toHaveLength(13);
  });

  it('takes multipart (client as a JSON part, or as client.name/client.phone fields, a file) and forms', async () => {
    const org = await tenant();
    const asJsonPart = multipartBody([
      { name: 'client', value: JSON.stringify({ name: 'Ana', phone: '9' }), contentType: 'application/json' },
      { name: 'file', value: Buffer.from('picture'), filename: 'photo.png', contentType: 'image/png' },
    ]);
    const withFile = await api.app.inject({
      method: 'POST',
      url: '/api/receive-message/',
      ...asJsonPart,
      headers: { ...asJsonPart.headers, ...asKey(org.key) },
    });
    expect(withFile.statusCode).toBe(201);
    expect(withFile.json<Json>()).toMatchObject({ message: '', type: 'received' });
    expect(String(withFile.json<Json>().file)).toMatch(/\/api\/files\/[0-9a-f]{32}\/photo\.png$/);

    const dotted = multipartBody([
      { name: 'client.name', value: 'Ana' },
      { name: 'client.phone', value: '9' },
      { name: 'message', value: 'texto' },
    ]);
    const fields = await api.app.inject({
      method: 'POST',
      url: '/api/receive-message/',
      ...dotted,
      headers: { ...dotted.headers, ...asKey(org.key) },
    });
    expect(fields.statusCode).toBe(201);
    expect(fields.json<Json>().help_desk).toBe(withFile.json<Json>().help_desk);

    const form = await api.app.inject({
      method: 'POST',
      url: '/api/receive-message/',
      payload: 'client.name=Ana&client.phone=9&message=form',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...asKey(org.key) },
    });
    expect(form.statusCode).toBe(201);
    expect(form.json<Json>()).toMatchObject({ message: 'form', help_desk: withFile.json<Json>().help_desk });
    expect((await api.traces()).spoolFiles).toEqual([]);
  });

  it('answers bad input in DRF shape and writes nothing', async () => {
    const org = await tenant();
    const before = await api.traces();
    expect((await receive(org.key, { client: { name: 'Ana' }, message: 'x' })).json()).toEqual({
      'client.phone': ['This field is required.'],
    });
    expect((await receive(org.key, { message: 'x' })).json()).toEqual({ client: ['This field is required.'] });
    expect((await receive(org.key, { client: { name: 'Ana', phone: '1' } })).json()).toEqual({
      message: ['This field is required.'],
    });
    const form = await api.app.inject({
      method: 'POST',
      url: '/api/receive-message/',
      payload: 'client.name=Ana&message=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...asKey(org.key) },
    });
    expect(form.json()).toEqual({ 'client.phone': ['This field is required.'] });
    expect(await api.traces()).toEqual(before);
  });

  it("writes to the key's own organization; an administrator names one; another's is not found", async () => {
    const org = await tenant();
    const other = await tenant('other');
    const message = { client: { name: 'Ana', phone: '1' }, message: 'x' };
    expect((await receive(org.key, { ...message, organization: other.name })).statusCode).toBe(404);
    const admin = await api.app.inject({ method: 'POST', url: '/api/receive-message/', payload: message });
    expect(admin.json()).toEqual({ organization: ['This field is required.'] });
    const named = await api.app.inject({
      method: 'POST',
      url: '/api/receive-message/',
      payload: { ...message, organization: org.name },
    });
    expect(named.statusCode).toBe(201);
    expect(await helpDesks(other.name)).toEqual([]);
    expect((await receive(org.key, message)).json<Json>().help_desk).toBe(named.json<Json>().help_desk);
  });
});
