import type { HelpDeskJson, MessageJson } from '@helpdesk/shared';
import { micros } from './timestamps';

/**
 * What this browser knows of a help desk it is not looking at: received messages counted since it
 * last had the help desk open, and the newest message it saw there then.
 */
export interface UnreadEntry {
  count: number;
  /** created_at (µs) of the newest message on screen when the help desk was last open. */
  seenUpTo: number;
}

export type UnreadIndex = Readonly<Record<string, UnreadEntry>>;

const NONE: UnreadEntry = { count: 0, seenUpTo: 0 };

export function unreadCount(index: UnreadIndex, helpDesk: string): number {
  return index[helpDesk]?.count ?? 0;
}

/** Help desks with something unread: the number in the tab's title. */
export function unreadHelpDesks(index: UnreadIndex): number {
  return Object.values(index).filter((entry) => entry.count > 0).length;
}

/** A new_message: one more unread when the client wrote it and the help desk is not open here. */
export function countReceived(index: UnreadIndex, message: MessageJson, openHelpDesk: string | undefined): UnreadIndex {
  if (message.type !== 'received') return index;
  const entry = index[message.help_desk] ?? NONE;
  if (message.help_desk === openHelpDesk) return markSeen(index, message.help_desk, message);
  if (micros(message.created_at) <= entry.seenUpTo) return index;
  return { ...index, [message.help_desk]: { ...entry, count: entry.count + 1 } };
}

/**
 * Help desks loaded over REST (first load, a page, a refetch): one whose last message was
 * received after this browser last looked, with nothing counted yet, has at least that one.
 * The index is copied once for the whole page.
 */
export function countFromList(
  index: UnreadIndex,
  desks: readonly HelpDeskJson[],
  openHelpDesk: string | undefined,
): UnreadIndex {
  let next: Record<string, UnreadEntry> | undefined;
  for (const desk of desks) {
    const last = desk.last_message;
    if (!last || last.type !== 'received' || desk.uuid === openHelpDesk) continue;
    const entry = (next ?? index)[desk.uuid] ?? NONE;
    if (entry.count > 0 || micros(last.created_at) <= entry.seenUpTo) continue;
    next ??= { ...index };
    next[desk.uuid] = { ...entry, count: 1 };
  }
  return next ?? index;
}

/** The help desk is open: nothing in it is unread, up to its newest message. */
export function markSeen(index: UnreadIndex, helpDesk: string, newest: MessageJson | null | undefined): UnreadIndex {
  const entry = index[helpDesk] ?? NONE;
  const seenUpTo = Math.max(entry.seenUpTo, newest ? micros(newest.created_at) : 0);
  if (entry.count === 0 && seenUpTo === entry.seenUpTo) return index;
  return { ...index, [helpDesk]: { count: 0, seenUpTo } };
}
