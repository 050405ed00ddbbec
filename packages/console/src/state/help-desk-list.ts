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

/**
 * The help desks of a list (the whole list, or a search's results): their uuids, in no order. A
 * help desk is in a list once one of its pages or a live update put it there, so a list holds the
 * top of its order without a gap, whatever other lists brought into the index.
 */
export type Members = ReadonlySet<string>;

/** The members with these help desks too; the same set when they all were already. */
export function withMembers(members: Members, uuids: readonly string[]): Members {
  if (uuids.every((uuid) => members.has(uuid))) return members;
  return new Set([...members, ...uuids]);
}

/**
 * The help desks of a list to show, in order, under the status filter. Each timestamp is read once
 * (not once per comparison): this runs on every event, over thousands of help desks.
 */
export function visibleHelpDesks(index: HelpDeskIndex, members: Members, status: StatusFilter): HelpDeskJson[] {
  return [...members]
    .flatMap((uuid) => {
      const desk = index.get(uuid);
      return desk === undefined ? [] : [desk];
    })
    .filter((desk) => status === 'all' || statusOf(desk) === status)
    .map((desk) => ({ desk, activity: micros(desk.updated_at) }))
    .sort((a, b) => b.activity - a.activity || (a.desk.uuid < b.desk.uuid ? -1 : a.desk.uuid > b.desk.uuid ? 1 : 0))
    .map(({ desk }) => desk);
}
