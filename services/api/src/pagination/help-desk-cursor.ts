import { pgTimestampToIso } from '@helpdesk/shared';

/**
 * Where a page of an organization's help desks ended: the last help desk's activity time and id,
 * the key the list is ordered by (updated_at desc, id desc). The next page is what comes after
 * that position, so a help desk that moves to the top meanwhile (a new message) is not answered
 * twice, and the ones not moved are answered once, however the list changes.
 */
export interface HelpDeskPosition {
  /** ISO 8601 with microseconds and offset: Postgres reads it back exactly. */
  updatedAt: string;
  /** The help desk's id (bigint, as text). */
  id: string;
}

const ISO_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.\d{6}[+-](\d{2}):[0-5]\d(:[0-5]\d)?$/;
const BIGINT = /^[1-9]\d{0,18}$/;
const MAX_BIGINT = 2n ** 63n - 1n;

/** The opaque cursor of the position after `row` (a help desk row as read: updated_at in Postgres text). */
export function encodeHelpDeskCursor(row: { updated_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([pgTimestampToIso(row.updated_at), row.id])).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this api made. */
export function decodeHelpDeskCursor(cursor: string): HelpDeskPosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [updatedAt, id] = parsed as unknown[];
  if (typeof updatedAt !== 'string' || typeof id !== 'string') return undefined;
  if (!isValidTimestamp(updatedAt) || !BIGINT.test(id) || BigInt(id) > MAX_BIGINT) return undefined;
  return { updatedAt, id };
}

// Checked here so that a forged cursor is a 400, never a Postgres error (a 500): a real calendar
// date and time of day, and an offset Postgres accepts.
function isValidTimestamp(text: string): boolean {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return false;
  const [, date, time, offsetHours] = match as unknown as [string, string, string, string];
  if (Number(offsetHours) > 15) return false;
  const parsed = new Date(`${date}T${time}Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === `${date}T${time}`;
}
