import { describe, expect, it } from 'vitest';
import {
  emptyConversation,
  receiveMessage,
  receivePage,
  retrySend,
  sendFailed,
  sendSucceeded,
  startSend,
  timeline,
  type Conversation,
  type PendingSend,
} from './conversation';
import { at, message } from './test-objects';

const send = (localId: string, text = 'hi'): PendingSend => ({
  localId,
  text,
  file: undefined,
  idempotencyKey: `key-${localId}`,
  state: 'sending',
  error: undefined,
});

/** What the agent sees: each message as uuid:status, each pending send as local:state. */
const screen = (conversation: Conversation) =>
  timeline(conversation).map((item) =>
    item.kind === 'message' ? `${item.message.uuid}:${item.message.status}` : `${item.send.localId}:${item.send.state}`,
  );

const announced = message({ uuid: 'srv-1', status: 'sending', created_at: at(1), updated_at: at(1) });
const answered = message({ uuid: 'srv-1', status: 'sent', created_at: at(1), updated_at: at(1, 1) });

describe('optimistic send', () => {
  it('shows the message at once as sending, then the server’s answer in its place', () => {
    let conversation = startSend(emptyConversation('desk-1'), send('local-1'));
    expect(screen(conversation)).toEqual(['local-1:sending']);
    conversation = sendSucceeded(conversation, 'local-1', answered);
    expect(screen(conversation)).toEqual(['srv-1:sent']);
    // new_message after the answer: still one message, and an older version does not win.
    conversation = receiveMessage(conversation, announced, 'event');
    expect(screen(conversation)).toEqual(['srv-1:sent']);
  });

  it('holds new_message back while the answer is awaited, so the message never shows twice', () => {
    let conversation = startSend(emptyConversation('desk-1'), send('local-1'));
    conversation = receiveMessage(conversation, announced, 'event');
    expect(screen(conversation)).toEqual(['local-1:sending']);
    conversation = sendSucceeded(conversation, 'local-1', answered);
    expect(screen(conversation)).toEqual(['srv-1:sent']);
  });

  it('applies update_message to a held message and keeps the newest status', () => {
    let conversation = startSend(emptyConversation('desk-1'), send('local-1'));
    conversation = receiveMessage(conversation, announced, 'event');
    const delivered = { ...answered, status: 'delivered' as const, updated_at: at(2) };
    conversation = receiveMessage(conversation, delivered, 'event');
    conversation = sendSucceeded(conversation, 'local-1', answered);
    expect(screen(conversation)).toEqual(['srv-1:delivered']);
  });

  it('shows another agent’s message once this browser’s sends are answered or failed', () => {
    let conversation = startSend(emptyConversation('desk-1'), send('local-1'));
    const other = message({ uuid: 'srv-9', created_at: at(0, 5), updated_at: at(0, 5) });
    conversation = receiveMessage(conversation, other, 'event');
    conversation = sendFailed(conversation, 'local-1', 'A server error occurred.');
    expect(screen(conversation)).toEqual(['srv-9:sent', 'local-1:failed']);
    expect(timeline(conversation)[1]).toMatchObject({ kind: 'pending', send: { error: 'A server error occurred.' } });
  });

  it('retries with the same Idempotency-Key and ends with one message', () => {
    let conversation = startSend(emptyConversation('desk-1'), send('local-1'));
    conversation = sendFailed(conversation, 'local-1', 'A server error occurred.');
    conversation = retrySend(conversation, 'local-1');
    const retried = conversation.pending[0];
    expect(retried).toMatchObject({ state: 'sending', idempotencyKey: 'key-local-1', error: undefined });
    conversation = receiveMessage(conversation, announced, 'event');
    conversation = sendSucceeded(conversation, 'local-1', answered);
    expect(screen(conversation)).toEqual(['srv-1:sent']);
  });

  it('shows received messages and other help desks’ events as they come, never held', () => {
    let conversation = startSend(emptyConversation('desk-1'), send('local-1'));
    conversation = receiveMessage(
      conversation,
      message({ uuid: 'in-1', type: 'received', created_at: at(0) }),
      'event',
    );
    conversation = receiveMessage(conversation, message({ uuid: 'x', help_desk: 'desk-2' }), 'event');
    expect(screen(conversation)).toEqual(['in-1:sent', 'local-1:sending']);
  });
});

describe('history pages and resync', () => {
  it('merges pages and a refetch by id, oldest first, keeping the newest version of each', () => {
    let conversation = receivePage(emptyConversation('desk-1'), [
      message({ uuid: 'b', created_at: at(2), updated_at: at(2) }),
      message({ uuid: 'c', created_at: at(3), updated_at: at(3), status: 'sending' }),
    ]);
    conversation = receiveMessage(
      conversation,
      message({ uuid: 'c', created_at: at(3), updated_at: at(4), status: 'read' }),
      'event',
    );
    // An older page, then a refetch of the newest page after a resync, with a message missed meanwhile.
    conversation = receivePage(conversation, [message({ uuid: 'a', created_at: at(1), updated_at: at(1) })]);
    conversation = receivePage(conversation, [
      message({ uuid: 'c', created_at: at(3), updated_at: at(3), status: 'sending' }),
      message({ uuid: 'd', created_at: at(5), updated_at: at(5), type: 'received' }),
    ]);
    expect(screen(conversation)).toEqual(['a:sent', 'b:sent', 'c:read', 'd:sent']);
  });
});
