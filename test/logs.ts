import { expect } from 'vitest';

/**
 * Fails, naming the lines, if any of `lines` holds one of `secrets`. `evidence` is text the logs
 * must hold (a request that carried a secret, logged), so a run that logged nothing, or none of
 * the requests in question, cannot pass for a clean one.
 */
export function expectNoSecretsLogged(lines: string[], secrets: string[], evidence: string): void {
  expect(
    lines.some((line) => line.includes(evidence)),
    `no log line mentions ${evidence}`,
  ).toBe(true);
  for (const secret of secrets) {
    expect(
      lines.filter((line) => line.includes(secret)),
      `log lines holding ${secret}`,
    ).toEqual([]);
  }
}
