import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { CHAT_SOCKET_PATH_PREFIX, chatSocketPath, TICKET_PROTOCOL } from '../../packages/shared/src/index.js';
import { bearer, post, socketTicket, type Json } from '../rest.js';
import { createOrganization } from '../organization.js';
import { RecordingSocket, upgradeRefusal } from '../ws-client.js';

/** SECRET_KEY of the processes under test (api, gateway, standalone): they share it. */
export const E2E_SECRET_KEY = randomBytes(32).toString('base64url');

/** ADMIN_TOKEN given to the distributed api under test: the bootstrap administrator key. */
export const E2E_ADMIN_TOKEN = randomBytes(32).toString('base64url');

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;

/**
 * The exact frame the contract promises: `data` is the object as a JSON string; then (ours, issue
 * 4) the organization's event id, a key old clients ignore.
 */
function frame(type: string, object: Json, id: number): string {
  return JSON.stringify({ type, data: JSON.stringify(object), id });
}

/**
 * What an agent app written against the original contract does, end to end: sockets for two
 * organizations, messages posted with and without a file, every frame compared byte for byte with
 * what the REST answers say it must be, and nothing crossing to the other organization.
 */
export async function runContractScenario(httpBase: string, wsBase: string, adminToken: string): Promise<void> {
  const a = await createOrganization({ baseUrl: httpBase, adminToken }, 'org-a');
  const b = await createOrganization({ baseUrl: httpBase, adminToken }, 'org-b');
  expect(a.helpDesk.last_message).toBeNull();

  // Both ways to present a ticket: in the query, and as a browser does, in Sec-WebSocket-Protocol.
  const sockets = {
    aWithSlash: await RecordingSocket.open(
      `${wsBase}${chatSocketPath(a.name)}?token=${await socketTicket(httpBase, a.name, a.key)}`,
    ),
    aWithoutSlash: await RecordingSocket.open(`${wsBase}${CHAT_SOCKET_PATH_PREFIX}${a.name}`, [
      TICKET_PROTOCOL,
      await socketTicket(httpBase, a.name, a.key),
    ]),
    b: await RecordingSocket.open(
      `${wsBase}${chatSocketPath(b.name)}?token=${await socketTicket(httpBase, b.name, b.key)}`,
    ),
  };
  expect(sockets.aWithoutSlash.ws.protocol).toBe(TICKET_PROTOCOL);
  // No ticket, or another organization's: refused before the upgrade, in DRF's shape.
  expect(await upgradeRefusal(`${wsBase}${chatSocketPath(a.name)}`)).toEqual({
    status: 401,
    body: { detail: 'Authentication credentials were not provided.' },
  });
  expect(
    await upgradeRefusal(`${wsBase}${chatSocketPath(a.name)}`, [
      TICKET_PROTOCOL,
      await socketTicket(httpBase, b.name, b.key),
    ]),
  ).toEqual({
    status: 403,
    body: { detail: 'This ticket is for another organization.' },
  });
  try {
    // 1. A text message, as JSON.
    const sent = await post(httpBase, '/api/send-message/', { message: 'teste', help_desk: a.helpDesk.uuid }, a.key);
    expect(Object.keys(sent)).toEqual([
      'created_at',
      'updated_at',
      'uuid',
      'message',
      'file',
      'type',
      'status',
      'help_desk',
    ]);
    expect(sent).toMatchObject({
      message: 'teste',
      file: null,
      type: 'sent',
      status: 'sent',
      help_desk: a.helpDesk.uuid,
    });
    expect(sent.created_at).toMatch(ISO_MICROS);
    expect(sent.updated_at).toMatch(ISO_MICROS);

    const sending = { ...sent, updated_at: sent.created_at, status: 'sending' };
    const expectedFrames = [
      frame('new_message', sending, 1),
      frame(
        'update_helpdesk',
        {
          created_at: a.helpDesk.created_at,
          updated_at: sent.created_at,
          uuid: a.helpDesk.uuid,
          client: a.client,
          last_message: sending,
          // Ours, after the contract's keys (issue 4, item 5); old clients ignore it.
          status: 'open',
        },
        2,
      ),
      frame('update_message', sent, 3),
    ];
    expect(await sockets.aWithSlash.waitForFrames(3)).toEqual(expectedFrames);
    expect(await sockets.aWithoutSlash.waitForFrames(3)).toEqual(expectedFrames);

    // 2. A message with a file, as multipart; the file URL serves the bytes back.
    const bytes = randomBytes(200_000);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'photo.png');
    form.append('help_desk', String(a.helpDesk.uuid));
    form.append('message', 'com arquivo');
    const res = await fetch(`${httpBase}/api/send-message/`, { method: 'POST', body: form, headers: bearer(a.key) });
    expect(res.status).toBe(201);
    const withFile = (await res.json()) as Json;
    expect(withFile).toMatchObject({ message: 'com arquivo', type: 'sent', status: 'sent' });
    expect(withFile.file).toMatch(new RegExp(`^${httpBase}/api/files/[0-9a-f]{32}/photo\\.png$`));
    const download = await fetch(String(withFile.file), { headers: bearer(a.key) });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    const fileFrames = (await sockets.aWithSlash.waitForFrames(6)).slice(3);
    expect(fileFrames[0]).toBe(
      frame('new_message', { ...withFile, updated_at: withFile.created_at, status: 'sending' }, 4),
    );
    expect(fileFrames[2]).toBe(frame('update_message', withFile, 6));

    // 3. REST reads agree with what the sockets saw.
    const history = (await (
      await fetch(`${httpBase}/api/help-desks/${String(a.helpDesk.uuid)}/history/`, { headers: bearer(a.key) })
    ).json()) as Json[];
    expect(history).toEqual([sent, withFile]);
    const list = (await (
      await fetch(`${httpBase}/api/help-desks/?organization=${a.name}`, { headers: bearer(a.key) })
    ).json()) as Json[];
    expect(list).toEqual([{ ...a.helpDesk, updated_at: withFile.created_at, last_message: withFile }]);

    // 4. Organization B got nothing of A's: its first frames are its own message's.
    const bSent = await post(httpBase, '/api/send-message/', { message: 'only b', help_desk: b.helpDesk.uuid }, b.key);
    const bFrames = await sockets.b.waitForFrames(3);
    expect(bFrames[2]).toBe(frame('update_message', bSent, 3));
    for (const f of bFrames) expect(f).not.toContain(String(a.helpDesk.uuid));
    expect(sockets.aWithSlash.frames).toHaveLength(6);
    expect(sockets.aWithoutSlash.frames).toHaveLength(6);
  } finally {
    for (const socket of Object.values(sockets)) socket.close();
  }
}
