import type { HelpDeskJson, HelpDeskStatus } from '@helpdesk/shared';
import { micros, newer } from './timestamps';

export type StatusFilter = HelpDeskStatus | 'all';

/** Help desks by uuid; every version that arrives (a page, an event) goes through upsert. */
export type HelpDeskIndex = ReadonlyMap<string, HelpDeskJson>;

/** Adds or replaces one help desk, keeping whichever version the server changed last. */
export function upsertHelpDesk(index: HelpDeskIndex, desk: HelpDeskJson): HelpDeskIndex {
  const current = index.get(desk.uuid);
  const kept = newer(current, desk);
  if (kept === current) return index;
  return new Map(index).set(desk.uuid, kept);
}

/**
 * Merges a page (first load, next page, a refetch after resync) into the index, by uuid. The
 * index is copied once per page, not once per help desk: with thousands loaded, that copy is the
 * cost of a page.
 */
export function mergeHelpDesks(index: HelpDeskIndex, page: readonly HelpDeskJson[]): HelpDeskIndex {
  let next: Map<string, HelpDeskJson> | undefined;
  for (const desk of page) {
    const current = (next ?? index).get(desk.uuid);
    if (newer(current, desk) === current) continue;
    next ??= new Map(index);
    next.set(desk.uuid, desk);
  }
  return next ?? index;
}

export function statusOf(desk: HelpDeskJson): HelpDeskStatus {
  return desk.status ?? 'open';
}

/** Whether a help desk shows under a status filter and a search of its client's name or phone. */
export function matchesFilter(desk: HelpDeskJson, status: StatusFilter, query: string): boolean {
  if (status !== 'all' && statusOf(desk) !== status) return false;
  const words = query.trim().toLowerCase();
  if (words === '') return true;
  const digits = words.replace(/[^0-9]/g, '');
  return (
    desk.client.name.toLowerCase().includes(words) ||
    desk.client.phone.toLowerCase().includes(words) ||
    (digits !== '' && desk.client.phone.replace(/[^0-9]/g, '').includes(digits))
  );
}

/**
 * The help desks to show, in order. Each timestamp is read once (not once per comparison): this
 * runs on every event, over thousands of help desks.
 */
export function visibleHelpDesks(index: HelpDeskIndex, status: StatusFilter, query: string): HelpDeskJson[] {
  return [...index.values()]
    .filter((desk) => matchesFilter(desk, status, query))
    .map((desk) => ({ desk, activity: micros(desk.updated_at) }))
    .sort((a, b) => b.activity - a.activity || (a.desk.uuid < b.desk.uuid ? -1 : a.desk.uuid > b.desk.uuid ? 1 : 0))
    .map(({ desk }) => desk);
}
