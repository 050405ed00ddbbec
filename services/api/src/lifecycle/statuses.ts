import type { MessageStatus } from '@helpdesk/shared';

// The life of a message and of a help desk (issue 4, item 5). Each list of literals is defined
// here once; route schemas and the database types use them.
// HELP_DESK_STATUSES belongs in packages/shared with the HelpDesk serializer, once
// the HelpDesk object carries `status` after the contract's keys.

export const HELP_DESK_STATUSES = ['open', 'closed'] as const;
export type HelpDeskStatus = (typeof HELP_DESK_STATUSES)[number];

/** What a status callback (PATCH /api/messages/<uuid>/) may set. */
export const MESSAGE_STATUS_UPDATES = ['delivered', 'read', 'failed'] as const satisfies readonly MessageStatus[];
export type MessageStatusUpdate = (typeof MESSAGE_STATUS_UPDATES)[number];

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
