import { describe, expect, it } from 'vitest';
import { at, helpDesk, message } from '../state/test-objects';
import { FakeBackend, settle } from './fake-backend';
import { memoryStorage } from './storage';
import { Workspace } from './workspace';

const names = (workspace: Workspace) => workspace.helpDesks.visible.value.map((desk) => desk.uuid);
const shown = (workspace: Workspace) =>
  workspace.conversation.items.value.map((item) =>
    item.kind === 'message' ? `${item.message.uuid}:${item.message.status}` : `pending:${item.send.state}`,
  );

async function started(backend: FakeBackend, storage = memoryStorage()) {
  let received = 0;
  const workspace = new Workspace({
    backend: backend.asBackend(),
    organization: 'acme',
    storage,
    onReceived: () => received++,
  });
  await settle();
  return { workspace, received: () => received };
}

describe('the agent workspace', () => {
  it('keeps the list live: update_helpdesk moves a help desk to the top, received messages count as unread', async () => {
    const backend = new FakeBackend();
    backend.helpDeskPagesServed = [[helpDesk('a', at(2)), helpDesk('b', at(1))]];
    const { workspace, received } = await started(backend);
    expect(names(workspace)).toEqual(['a', 'b']);

    const incoming = message({ uuid: 'm1', help_desk: 'b', type: 'received', created_at: at(3), updated_at: at(3) });
    backend.emit('new_message', { data: incoming, id: 1 });
    backend.emit('update_helpdesk', { data: helpDesk('b', at(3), { last_message: incoming }), id: 2 });
    expect(names(workspace)).toEqual(['b', 'a']);
    expect(workspace.helpDesks.unread.value.b?.count).toBe(1);
    expect(workspace.helpDesks.unreadHelpDesks.value).toBe(1);
    expect(received()).toBe(1);

    backend.historyServed = [[incoming]];
    await workspace.open('b');
    expect(workspace.helpDesks.unread.value.b?.count).toBe(0);
    expect(shown(workspace)).toEqual(['m1:sent']);
  });

  it('keeps unread counts across a reload of the page (same browser storage)', async () => {
    const storage = memoryStorage();
    const backend = new FakeBackend();
    const first = await started(backend, storage);
    backend.emit('new_message', { data: message({ uuid: 'm1', type: 'received', created_at: at(3) }), id: 1 });
    first.workspace.stop();
    const again = await started(new FakeBackend(), storage);
    expect(again.workspace.helpDesks.unread.value['desk-1']?.count).toBe(1);
  });

  it('on resync reads the first page and the open conversation again and merges them by id', async () => {
    const backend = new FakeBackend();
    backend.helpDeskPagesServed = [[helpDesk('desk-1', at(1))]];
    backend.historyServed = [[message({ uuid: 'm1', created_at: at(1), updated_at: at(1) })]];
    const { workspace } = await started(backend);
    await workspace.open('desk-1');

    // What happened while events were lost: a new help desk, and a message in the open one.
    backend.helpDeskPagesServed = [[helpDesk('desk-2', at(5)), helpDesk('desk-1', at(4))]];
    backend.historyServed = [
      [
        message({ uuid: 'm1', created_at: at(1), updated_at: at(2), status: 'read' }),
        message({ uuid: 'm2', type: 'received', created_at: at(4), updated_at: at(4) }),
      ],
    ];
    backend.emit('resync', { lastEventId: 7 });
    await settle();
    expect(names(workspace)).toEqual(['desk-2', 'desk-1']);
    expect(shown(workspace)).toEqual(['m1:read', 'm2:sent']);
  });

  it('sends optimistically and reconciles with new_message arriving before the answer, without a duplicate', async () => {
    const backend = new FakeBackend();
    backend.historyServed = [[]];
    const { workspace, received } = await started(backend);
    await workspace.open('desk-1');
    const sending = workspace.conversation.send('hello', undefined);
    expect(shown(workspace)).toEqual(['pending:sending']);

    const created = message({ uuid: 's1', status: 'sending', created_at: at(1), updated_at: at(1) });
    backend.emit('new_message', { data: created, id: 1 });
    expect(shown(workspace)).toEqual(['pending:sending']);
    backend.sendAnswers[0]?.resolve({ ...created, status: 'sent', updated_at: at(1, 5) });
    await sending;
    expect(shown(workspace)).toEqual(['s1:sent']);
    expect(workspace.conversation.ownMessages.has('s1')).toBe(true);
    // The agent's own message is no reason for a sound.
    expect(received()).toBe(0);
  });

  it('shows a failed send with the api’s words; Retry sends it again with the same Idempotency-Key', async () => {
    const backend = new FakeBackend();
    backend.historyServed = [[]];
    const { workspace } = await started(backend);
    await workspace.open('desk-1');
    const first = workspace.conversation.send('hello', undefined);
    backend.sendAnswers[0]?.reject(new Error('A server error occurred.'));
    await first;
    const [failed] = workspace.conversation.items.value;
    expect(failed).toMatchObject({ kind: 'pending', send: { state: 'failed', error: 'A server error occurred.' } });

    const retry = workspace.conversation.retry(failed?.kind === 'pending' ? failed.send.localId : '');
    expect(backend.sends.map((send) => send.idempotencyKey)).toEqual([
      backend.sends[0]?.idempotencyKey,
      backend.sends[0]?.idempotencyKey,
    ]);
    backend.sendAnswers[1]?.resolve(message({ uuid: 's1', created_at: at(1), updated_at: at(1) }));
    await retry;
    expect(shown(workspace)).toEqual(['s1:sent']);
  });
});
