/**
 * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the step `baseMs * 2^step` (capped at `maxMs`), of which half is waited for sure and
 * the other half at random. The sure half keeps a retry from coming at once, which full jitter
 * (anywhere from 0) allows; the random half spreads replicas that failed together.
 */
export function equalJitterBackoffMs(step: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(step, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
