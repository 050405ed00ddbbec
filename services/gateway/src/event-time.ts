// When the change an event announces was made: the `updated_at` of the object in its data (a
// message's or a help desk's, set by Postgres in the transaction that made the change), read from
// the frame's first bytes without parsing it. Gateways measure end-to-end delivery from it.

const UPDATED_AT = Buffer.from('\\"updated_at\\":\\"');
const QUOTE = Buffer.from('\\"');
/** Both contract objects put updated_at second: it starts within the frame's first bytes. */
const SEARCH_BYTES = 160;

/** Unix ms of the change, or undefined for a frame that carries none (resync, foreign payloads). */
export function changeTimeOf(payload: Buffer | string): number | undefined {
  const bytes = typeof payload === 'string' ? Buffer.from(payload.slice(0, SEARCH_BYTES)) : payload;
  const head = bytes.subarray(0, SEARCH_BYTES);
  const start = head.indexOf(UPDATED_AT);
  if (start < 0) return undefined;
  const from = start + UPDATED_AT.length;
  const end = head.indexOf(QUOTE, from);
  if (end < 0) return undefined;
  const ms = Date.parse(head.toString('latin1', from, end));
  return Number.isNaN(ms) ? undefined : ms;
}
