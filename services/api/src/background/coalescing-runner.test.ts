import { describe, expect, it } from 'vitest';
import { CoalescingRunner } from './coalescing-runner.js';

/** A round that reads (calling caughtUp first), then waits until the test lets it end. */
function readingRounds() {
  const rounds: Array<{ caughtUp: () => void; end: () => void }> = [];
  const runner: CoalescingRunner = new CoalescingRunner(
    () =>
      new Promise((resolve) => {
        rounds.push({ caughtUp: () => runner.caughtUp(), end: () => resolve('done') });
      }),
  );
  return { runner, rounds };
}

describe('CoalescingRunner', () => {
  it('goes round once more for requests made during a round, however many', async () => {
    const { runner, rounds } = readingRounds();
    const first = runner.run();
    void runner.run();
    void runner.run();
    rounds[0]!.end();
    await expect.poll(() => rounds.length).toBe(2);
    rounds[1]!.end();
    await first;
    expect(rounds).toHaveLength(2);
  });

  it('needs no further round for requests made before the round caught up', async () => {
    const { runner, rounds } = readingRounds();
    const first = runner.run();
    void runner.run();
    rounds[0]!.caughtUp();
    rounds[0]!.end();
    await first;
    expect(rounds).toHaveLength(1);

    // A request after the catch-up still gets its round.
    const second = runner.run();
    rounds[1]!.caughtUp();
    void runner.run();
    rounds[1]!.end();
    await expect.poll(() => rounds.length).toBe(3);
    rounds[2]!.end();
    await second;
    expect(rounds).toHaveLength(3);
  });
});
