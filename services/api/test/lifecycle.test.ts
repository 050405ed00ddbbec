import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createOrganization, createOrganizationWithKey } from '../../../test/organization.js';
import { asKey, useApi } from './api-harness.js';

// Issue 4, item 5: status callbacks move a message forward only; help desks open and close.
// Every change is one event, committed with it.

const api = useApi();

interface Frame {
  type: string;
  data: string;
  id: number;
}

/** Frames published on the organization's channel after `from` (an index into all events). */
async function framesSince(from: number, organization: string): Promise<Frame[]> {
  const { events } = await api.traces();
  return events
    .slice(from)
    .filter(([channel]) => channel === `${api.prefix}org:${organization}`)
    .map(([, payload]) => JSON.parse(payload) as Frame);
}

async function sendMessage(helpDesk: string) {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/send-message/',
    payload: { message: 'hi', help_desk: helpDesk },
  });
  expect(res.statusCode).toBe(201);
  return res.json<Record<string, unknown> & { uuid: string }>();
}

const patchMessage = (uuid: string, payload: unknown, headers = {}) =>
  api.app.inject({ method: 'PATCH', url: `/api/messages/${uuid}/`, payload: payload as object, headers });

describe('PATCH /api/messages/<uuid>/', () => {
  it('moves forward, each change one update_message with the next id', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'status');
    const message = await sendMessage(helpDesk.uuid);
    const before = (await api.traces()).events.length;

    const delivered = await patchMessage(message.uuid, { status: 'delivered' });
    expect(delivered.statusCode).toBe(200);
    const deliveredJson = delivered.json<Record<string, unknown>>();
    expect(deliveredJson).toEqual({ ...message, status: 'delivered', updated_at: deliveredJson.updated_at });
    expect(deliveredJson.updated_at).not.toBe(message.updated_at);
    const read = await patchMessage(message.uuid, { status: 'read' });
    expect(read.json()).toMatchObject({ uuid: message.uuid, status: 'read' });

    const frames = await framesSince(before, organization);
    expect(frames.map((f) => [f.type, f.id])).toEqual([
      ['update_message', 4],
      ['update_message', 5],
    ]);
    expect(JSON.parse(frames[0]!.data)).toEqual(delivered.json());
    expect(JSON.parse(frames[1]!.data)).toEqual(read.json());
    const history = await api.app.inject({ url: `/api/help-desks/${helpDesk.uuid}/history/` });
    expect(history.json()).toEqual([read.json()]);
  });

  it('refuses a backward or same move, and failed after delivery, with a field error and no event', async () => {
    const { helpDesk } = await createOrganization(api, 'backward');
    const message = await sendMessage(helpDesk.uuid);
    expect((await patchMessage(message.uuid, { status: 'read' })).statusCode).toBe(200);
    const before = await api.traces();
    for (const status of ['delivered', 'read', 'failed']) {
      const res = await patchMessage(message.uuid, { status });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ status: [`Cannot change status from "read" to "${status}".`] });
    }
    expect(await api.traces()).toEqual(before);
  });

  it('fails a message that was not delivered; a failed message stays failed', async () => {
    const { helpDesk } = await createOrganization(api, 'failed');
    const message = await sendMessage(helpDesk.uuid);
    const failed = await patchMessage(message.uuid, { status: 'failed' });
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ status: 'failed' });
    expect((await patchMessage(message.uuid, { status: 'delivered' })).json()).toEqual({
      status: ['Cannot change status from "failed" to "delivered".'],
    });
  });

  it('answers bad input in DRF shape', async () => {
    const { helpDesk } = await createOrganization(api, 'bad');
    const message = await sendMessage(helpDesk.uuid);
    expect((await patchMessage(message.uuid, { status: 'sending' })).json()).toEqual({
      status: ['"sending" is not a valid choice.'],
    });
    expect((await patchMessage(message.uuid, {})).json()).toEqual({ status: ['This field is required.'] });
    expect((await patchMessage('not-a-uuid', { status: 'read' })).statusCode).toBe(404);
    expect((await patchMessage(randomUUID(), { status: 'read' })).json()).toEqual({ detail: 'Not found.' });
    const get = await api.app.inject({ url: `/api/messages/${message.uuid}/` });
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('PATCH');
  });

  it("lets an organization's key change only its own messages (404 otherwise)", async () => {
    const { helpDesk, key: ownKey } = await createOrganization(api, 'mine');
    const message = await sendMessage(helpDesk.uuid);
    const { key: otherKey } = await createOrganizationWithKey(api, 'other');
    expect((await patchMessage(message.uuid, { status: 'read' }, asKey(otherKey))).statusCode).toBe(404);
    expect((await patchMessage(message.uuid, { status: 'read' }, asKey(ownKey))).statusCode).toBe(200);
    expect((await patchMessage(message.uuid, { status: 'read' }, asKey(undefined))).statusCode).toBe(401);
  });
});

describe('PATCH /api/help-desks/<uuid>/', () => {
  const patchHelpDesk = (uuid: string, payload: unknown, headers = {}) =>
    api.app.inject({ method: 'PATCH', url: `/api/help-desks/${uuid}/`, payload: payload as object, headers });

  it('closes and reopens a help desk, each change an update_helpdesk; the same status changes nothing', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'desk');
    const before = (await api.traces()).events.length;
    const closed = await patchHelpDesk(helpDesk.uuid, { status: 'closed' });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ uuid: helpDesk.uuid, last_message: null });
    const again = await patchHelpDesk(helpDesk.uuid, { status: 'closed' });
    expect(again.statusCode).toBe(200);
    const reopened = await patchHelpDesk(helpDesk.uuid, { status: 'open' });
    expect(reopened.statusCode).toBe(200);
    const frames = await framesSince(before, organization);
    expect(frames.map((f) => [f.type, f.id])).toEqual([
      ['update_helpdesk', 1],
      ['update_helpdesk', 2],
    ]);
    expect(JSON.parse(frames[0]!.data)).toEqual(closed.json());
    const rows = await api.app.db.selectFrom('help_desks').select('status').where('uuid', '=', helpDesk.uuid).execute();
    expect(rows).toEqual([{ status: 'open' }]);
  });

  it('answers bad input and other tenants like DRF', async () => {
    const { helpDesk } = await createOrganization(api, 'desk-bad');
    expect((await patchHelpDesk(helpDesk.uuid, { status: 'archived' })).json()).toEqual({
      status: ['"archived" is not a valid choice.'],
    });
    expect((await patchHelpDesk('nope', { status: 'closed' })).statusCode).toBe(404);
    const { key: otherKey } = await createOrganizationWithKey(api, 'other');
    expect((await patchHelpDesk(helpDesk.uuid, { status: 'closed' }, asKey(otherKey))).statusCode).toBe(404);
  });
});
