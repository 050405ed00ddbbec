import type { MessageJson, MessageStatus } from '@helpdesk/shared';
import { micros, newer } from './timestamps';

/** A message this browser is sending: on screen at once, replaced by the server's when it answers. */
export interface PendingSend {
  localId: string;
  text: string;
  file: File | undefined;
  /** Sent with every attempt of this message, so a retry never creates a second one. */
  idempotencyKey: string;
  state: 'sending' | 'failed';
  /** The api's words (DRF `detail` or field errors) when the last attempt failed. */
  error: string | undefined;
}

/** One open help desk's messages, as the server has them plus what is being sent. */
export interface Conversation {
  helpDesk: string;
  messages: ReadonlyMap<string, MessageJson>;
  /**
   * `sent` messages announced (new_message) while a send of this browser is still waiting for
   * its answer: one of them may be that send, so they show only once the answers say which.
   */
  held: ReadonlyMap<string, MessageJson>;
  pending: readonly PendingSend[];
}

export type TimelineItem = { kind: 'message'; message: MessageJson } | { kind: 'pending'; send: PendingSend };

export function emptyConversation(helpDesk: string): Conversation {
  return { helpDesk, messages: new Map(), held: new Map(), pending: [] };
}

const sending = (conversation: Conversation) => conversation.pending.some((send) => send.state === 'sending');

function upsert(map: ReadonlyMap<string, MessageJson>, message: MessageJson): ReadonlyMap<string, MessageJson> {
  const current = map.get(message.uuid);
  const kept = newer(current, message);
  return kept === current ? map : new Map(map).set(message.uuid, kept);
}

/** Once no send waits for its answer, what was held shows. */
function releaseHeld(conversation: Conversation): Conversation {
  if (sending(conversation) || conversation.held.size === 0) return conversation;
  let messages = conversation.messages;
  for (const message of conversation.held.values()) messages = upsert(messages, message);
  return { ...conversation, messages, held: new Map() };
}

/**
 * A version of a message from the server: an event (new_message, update_message) or a page of
 * history. Another help desk's messages are ignored.
 */
export function receiveMessage(
  conversation: Conversation,
  message: MessageJson,
  source: 'event' | 'page',
): Conversation {
  if (message.help_desk !== conversation.helpDesk) return conversation;
  if (conversation.held.has(message.uuid)) {
    return { ...conversation, held: upsert(conversation.held, message) };
  }
  if (
    conversation.messages.has(message.uuid) ||
    source === 'page' ||
    message.type !== 'sent' ||
    !sending(conversation)
  ) {
    return { ...conversation, messages: upsert(conversation.messages, message) };
  }
  return { ...conversation, held: upsert(conversation.held, message) };
}

export function receivePage(conversation: Conversation, page: readonly MessageJson[]): Conversation {
  let next = conversation;
  for (const message of page) next = receiveMessage(next, message, 'page');
  return next;
}

export function startSend(conversation: Conversation, send: PendingSend): Conversation {
  return { ...conversation, pending: [...conversation.pending, send] };
}

/** A failed send tried again, with the same Idempotency-Key. */
export function retrySend(conversation: Conversation, localId: string): Conversation {
  return {
    ...conversation,
    pending: conversation.pending.map((send) =>
      send.localId === localId ? { ...send, state: 'sending', error: undefined } : send,
    ),
  };
}

/** The POST answered: the pending message becomes the server's (one message, whichever came first). */
export function sendSucceeded(conversation: Conversation, localId: string, message: MessageJson): Conversation {
  const announced = conversation.held.get(message.uuid) ?? conversation.messages.get(message.uuid);
  const held = new Map(conversation.held);
  held.delete(message.uuid);
  const next: Conversation = {
    ...conversation,
    held,
    messages: upsert(conversation.messages, newer(announced, message)),
    pending: conversation.pending.filter((send) => send.localId !== localId),
  };
  return releaseHeld(next);
}

export function sendFailed(conversation: Conversation, localId: string, error: string): Conversation {
  const next: Conversation = {
    ...conversation,
    pending: conversation.pending.map((send) =>
      send.localId === localId ? { ...send, state: 'failed', error } : send,
    ),
  };
  return releaseHeld(next);
}

/** A pending send the agent gave up on (removed before a retry). */
export function discardSend(conversation: Conversation, localId: string): Conversation {
  return releaseHeld({ ...conversation, pending: conversation.pending.filter((send) => send.localId !== localId) });
}

/** Oldest first, then what is being sent, in the order it was sent. */
export function timeline(conversation: Conversation): TimelineItem[] {
  const messages = [...conversation.messages.values()].sort(
    (a, b) => micros(a.created_at) - micros(b.created_at) || (a.uuid < b.uuid ? -1 : 1),
  );
  return [
    ...messages.map((message): TimelineItem => ({ kind: 'message', message })),
    ...conversation.pending.map((send): TimelineItem => ({ kind: 'pending', send })),
  ];
}

/** The oldest message loaded: where the next older page starts. */
export function oldestMessage(conversation: Conversation): MessageJson | undefined {
  let oldest: MessageJson | undefined;
  for (const message of conversation.messages.values()) {
    if (!oldest || micros(message.created_at) < micros(oldest.created_at)) oldest = message;
  }
  return oldest;
}

export const STATUS_LABELS: Record<MessageStatus, string> = {
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
};
