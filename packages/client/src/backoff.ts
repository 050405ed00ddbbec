export interface BackoffOptions {
  /** The shortest wait before a reconnect, and the base the ceiling doubles from (ms). */
  minDelayMs: number;
  /** The longest wait (ms). */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 20_000 };

/**
 * How long to wait before reconnect attempt `attempt` (0 for the first after a connection was
 * lost): "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter") above a floor, a
 * uniform draw between minDelayMs and a ceiling that doubles per attempt up to maxDelayMs. The
 * jitter spreads the reconnects of many clients a restarted server lost at the same moment.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const { minDelayMs, maxDelayMs } = options;
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt + 1, 30));
  return Math.round(minDelayMs + random() * Math.max(0, ceiling - minDelayMs));
}
