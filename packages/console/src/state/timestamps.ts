/**
 * A contract timestamp ("2021-06-14T22:10:39.551836-03:00") as microseconds since the epoch, so
 * that two of them compare exactly whatever their offsets (Date keeps only milliseconds).
 */
export function micros(timestamp: string): number {
  const millis = Date.parse(timestamp);
  const fraction = /\.(\d+)/.exec(timestamp)?.[1] ?? '';
  return millis * 1000 + Number(`${fraction}000000`.slice(3, 6));
}

/** Of two versions of one object, the one the server changed last (the incoming one on a tie). */
export function newer<T extends { updated_at: string }>(current: T | undefined, incoming: T): T {
  if (current === undefined) return incoming;
  return micros(incoming.updated_at) >= micros(current.updated_at) ? incoming : current;
}
