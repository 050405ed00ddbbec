/** What one round of background work found. */
export type RoundOutcome = 'done' | 'more' | 'failed';

/**
 * Runs a background round one at a time. A request while a round runs makes it go round once
 * more afterwards (so a nudge is never lost and never doubles the work); `more` goes round again
 * at once (a full batch), `failed` stops until the next request (the caller schedules a retry).
 */
export class CoalescingRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly round: () => Promise<RoundOutcome>) {}

  /** Resolves when the rounds this request joined or started are over. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop();
    return this.running;
  }

  /**
   * A round calls this just before it reads what there is to do: that read covers every request
   * made so far, so none of them needs a further round of its own.
   */
  caughtUp(): void {
    this.again = false;
  }

  /** No further rounds start; the one running (if any) is returned to await. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const outcome = await this.round();
        if (outcome === 'failed') return;
        if (outcome === 'more') this.again = true;
      } while (this.again && !this.stopped);
    } finally {
      // In the same step as the last check: a request after it starts a new loop. (Cleared in a
      // .finally() of the promise, it would be cleared a step later, and a request in between
      // would only set `again` on a loop that has ended.)
      this.running = undefined;
    }
  }
}
