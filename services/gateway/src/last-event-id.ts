// `?last_event_id=<id>` on a chat socket's URL (issue 4, item 2): the id of the last event the
// client saw, so it is sent what it missed. A whole number from 0 up; 0 asks for everything kept.

import { LAST_EVENT_ID_PARAM } from '@helpdesk/shared';

export const LAST_EVENT_ID_DETAIL = 'last_event_id must be a whole number.';

const DIGITS = /^[0-9]+$/;

/**
 * The last event id a query string asks for: undefined when it asks for none, null when the
 * parameter is there but not a whole number (empty, signed, fractional, or past 2^53 - 1).
 * Reads the raw query: uWS's getQuery(key) takes `?last_event_id` without `=` for absent.
 */
export function lastEventIdOf(rawQuery: string): number | null | undefined {
  const raw = new URLSearchParams(rawQuery).get(LAST_EVENT_ID_PARAM);
  if (raw === null) return undefined;
  if (!DIGITS.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}
