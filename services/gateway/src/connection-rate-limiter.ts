// New socket upgrades per client address (issue 3, item 5): a token bucket per address that
// holds up to `burst` tokens and refills at `ratePerSecond`; each upgrade attempt that passes
// takes one. A socket storm from one address (a reconnect loop, a ticket brute force) is cut off
// before any ticket is verified or any slot reserved, while a browser reconnecting after a blip
// stays far inside the burst.
//
// Memory stays bounded: a bucket that has refilled to `burst` is the same as no bucket, so those
// are swept out periodically; and the map never holds more than `maxTrackedAddresses` — when it
// is full, the least recently seen address is forgotten (and gets a full bucket if it comes back).

export interface ConnectionRateLimits {
  /** Tokens added per second; 0 turns the limit off. */
  ratePerSecond: number;
  /** Bucket size: attempts an address may make at once after being quiet. */
  burst: number;
  /** Most addresses tracked at once. */
  maxTrackedAddresses?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const DEFAULT_MAX_TRACKED = 100_000;
const ALLOWED: RateDecision = { allowed: true };

export class ConnectionRateLimiter {
  /** In least-recently-seen order: a touched bucket is moved to the end. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxTracked: number;
  /** How often full buckets are swept: the time an emptied bucket takes to refill, within 1–60 s. */
  private readonly sweepEveryMs: number;
  private lastSweepMs: number;

  constructor(
    private readonly limits: ConnectionRateLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.maxTracked = limits.maxTrackedAddresses ?? DEFAULT_MAX_TRACKED;
    const refillMs = limits.ratePerSecond > 0 ? (limits.burst / limits.ratePerSecond) * 1000 : 0;
    this.sweepEveryMs = Math.min(60_000, Math.max(1000, refillMs));
    this.lastSweepMs = now();
  }

  get enabled(): boolean {
    return this.limits.ratePerSecond > 0;
  }

  /** Takes a token for one upgrade attempt from `key`, or says how long until one is available. */
  take(key: string): RateDecision {
    if (!this.enabled) return ALLOWED;
    const nowMs = this.now();
    if (nowMs - this.lastSweepMs >= this.sweepEveryMs) this.sweep(nowMs);

    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      bucket.tokens = this.tokensAt(bucket, nowMs);
      bucket.updatedMs = nowMs;
    } else {
      if (this.buckets.size >= this.maxTracked) this.evictOldest();
      bucket = { tokens: this.limits.burst, updatedMs: nowMs };
    }
    this.buckets.set(key, bucket);

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    const secondsToToken = (1 - bucket.tokens) / this.limits.ratePerSecond;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(secondsToToken)) };
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  private tokensAt(bucket: Bucket, nowMs: number): number {
    // A wall clock stepped backwards adds nothing rather than taking tokens away.
    const elapsedSeconds = Math.max(0, nowMs - bucket.updatedMs) / 1000;
    return Math.min(this.limits.burst, bucket.tokens + elapsedSeconds * this.limits.ratePerSecond);
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const [key, bucket] of this.buckets) {
      if (this.tokensAt(bucket, nowMs) >= this.limits.burst) this.buckets.delete(key);
    }
  }

  private evictOldest(): void {
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}
