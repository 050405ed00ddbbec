import { describe, expect, it } from 'vitest';
import { createHelpDesk, createOrganization } from '../../../test/organization.js';
import { ISO_MICROS, UUID, useApi } from './api-harness.js';

const api = useApi();

describe('REST contract on Postgres and Redis', () => {
  it('sends a message and answers it, keys in contract order, then lists it everywhere', async () => {
    const { app, prefix } = api;
    const { client, helpDesk } = await createOrganization(api, 'acme', {
      name: 'acme',
      client: { name: 'Ana', phone: '5511999' },
    });
    // Whatever the file's other tests published has arrived; this send's events come after it.
    await api.traces();
    const publishedBefore = api.published.length;

    const res = await app.inject({
      method: 'POST',
      url: '/api/send-message/',
      payload: { message: 'teste', help_desk: helpDesk.uuid },
    });
    expect(res.statusCode).toBe(201);
    const message = res.json<Record<string, unknown>>();
    expect(Object.keys(message)).toEqual([
      'created_at',
      'updated_at',
      'uuid',
      'message',
      'file',
      'type',
      'status',
      'help_desk',
    ]);
    expect(message).toMatchObject({
      message: 'teste',
      file: null,
      type: 'sent',
      status: 'sent',
      help_desk: helpDesk.uuid,
    });
    expect(message.uuid).toMatch(UUID);
    expect(message.created_at).toMatch(ISO_MICROS);
    expect(message.updated_at).toMatch(ISO_MICROS);
    expect(String(message.created_at).endsWith('+00:00')).toBe(true);

    const history = await app.inject({ method: 'GET', url: `/api/help-desks/${helpDesk.uuid}/history/` });
    expect(history.statusCode).toBe(200);
    expect(history.json()).toEqual([message]);

    const list = await app.inject({ method: 'GET', url: '/api/help-desks/?organization=acme' });
    expect(list.statusCode).toBe(200);
    const [desk] = list.json<Array<Record<string, unknown>>>();
    expect(Object.keys(desk!)).toEqual(['created_at', 'updated_at', 'uuid', 'client', 'last_message', 'status']);
    expect(Object.keys(desk!.client as object)).toEqual(['uuid', 'created_at', 'updated_at', 'name', 'phone']);
    expect(desk!.client).toEqual(client);
    expect(desk!.last_message).toEqual(message);

    // Events: new_message (sending), update_helpdesk, update_message (sent) — on acme's channel only.
    const events = (await api.waitForPublished(publishedBefore + 3)).slice(publishedBefore);
    expect(events.map(([channel]) => channel)).toEqual([`${prefix}org:acme`, `${prefix}org:acme`, `${prefix}org:acme`]);
    const frames = events.map(([, payload]) => JSON.parse(payload) as { type: string; data: string });
    expect(frames.map((f) => f.type)).toEqual(['new_message', 'update_helpdesk', 'update_message']);
    for (const frame of frames) expect(typeof frame.data).toBe('string');
    const [created, helpDeskUpdate, updated] = frames.map((f) => JSON.parse(f.data) as Record<string, unknown>);
    expect(created).toEqual({ ...message, status: 'sending', updated_at: created!.created_at });
    expect((helpDeskUpdate!.last_message as Record<string, unknown>).uuid).toBe(message.uuid);
    expect(helpDeskUpdate!.uuid).toBe(helpDesk.uuid);
    expect(updated).toEqual(message);
    // `sent` came after `sending`: a client keeping the newer version by updated_at takes it.
    expect(Date.parse(String(message.updated_at))).toBeGreaterThanOrEqual(Date.parse(String(message.created_at)));
    expect(String(message.updated_at)).not.toBe(message.created_at);
    expect(String(message.updated_at) > String(message.created_at)).toBe(true);
  });

  it('lists help desks by most recent activity', async () => {
    const { app } = api;
    const { client, helpDesk: first } = await createOrganization(api, 'order-co', { name: 'order-co' });
    const second = await createHelpDesk(api, 'order-co', client.uuid);
    let list = (await app.inject({ url: '/api/help-desks/?organization=order-co' })).json<Array<{ uuid: string }>>();
    expect(list.map((d) => d.uuid)).toEqual([second.uuid, first.uuid]);
    await app.inject({ method: 'POST', url: '/api/send-message/', payload: { message: 'hi', help_desk: first.uuid } });
    list = (await app.inject({ url: '/api/help-desks/?organization=order-co' })).json<Array<{ uuid: string }>>();
    expect(list.map((d) => d.uuid)).toEqual([first.uuid, second.uuid]);
  });
});
