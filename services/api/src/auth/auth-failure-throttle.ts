/** Addresses remembered at most; the oldest window makes room for a new one. */
const MAX_ADDRESSES = 100_000;

/**
 * Requests with a missing, malformed or unknown key, counted per client address in fixed windows
 * (in this replica's memory). Past the limit such requests get 429 with Retry-After instead of
 * 401, telling a misconfigured client or a scanner to back off; a valid key from the same address
 * (many clients behind one NAT) is never refused for them. Keys are 256 random bits, so this is
 * about load and noise, not guessing.
 */
export class AuthFailureThrottle {
  private readonly windows = new Map<string, { startMs: number; failures: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the address may present a key again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    if (this.max === 0) return 0;
    const window = this.windows.get(address);
    if (!window) return 0;
    const elapsed = this.now() - window.startMs;
    if (elapsed >= this.windowMs) {
      this.windows.delete(address);
      return 0;
    }
    return window.failures >= this.max ? Math.max(1, Math.ceil((this.windowMs - elapsed) / 1000)) : 0;
  }

  failed(address: string): void {
    if (this.max === 0) return;
    const nowMs = this.now();
    const window = this.windows.get(address);
    if (window && nowMs - window.startMs < this.windowMs) {
      window.failures += 1;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= MAX_ADDRESSES) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    this.windows.set(address, { startMs: nowMs, failures: 1 });
  }
}
