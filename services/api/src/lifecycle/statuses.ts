import type { MessageStatus } from '@helpdesk/shared';

// The life of a message (issue 4, item 5): what a status callback may set, and which moves are
// allowed. Help-desk statuses are the contract's (packages/shared).

/** Forward only: sending → sent → delivered → read; a step may be skipped (a read receipt alone). */
const RANK: Record<Exclude<MessageStatus, 'failed'>, number> = { sending: 0, sent: 1, delivered: 2, read: 3 };

/** Whether a message may move from `from` to `to`: forward only, and failed only before delivery. */
export function canMoveMessage(from: MessageStatus, to: MessageStatus): boolean {
  if (from === 'failed') return false;
  if (to === 'failed') return from === 'sending' || from === 'sent';
  return RANK[to] > RANK[from];
}

export function moveRefusal(from: MessageStatus, to: MessageStatus): string {
  return `Cannot change status from "${from}" to "${to}".`;
}
