import type { KeyRevocationStore } from '@helpdesk/shared';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { KeyRevocationAnnouncer } from './key-revocation-announcer.js';

const log = pino({ level: 'silent' });

function store(add: KeyRevocationStore['add']): KeyRevocationStore {
  return { add, list: () => Promise.resolve([]) };
}

describe('KeyRevocationAnnouncer', () => {
  it('does not hold the answer while Redis does not answer; the announcement goes on', async () => {
    let settle: () => void = () => undefined;
    const add = vi.fn(() => new Promise<void>((resolve) => (settle = resolve)));
    const announcer = new KeyRevocationAnnouncer(store(add), 60_000, log);
    const started = Date.now();
    await announcer.announce('key-1', 50);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(add).toHaveBeenCalledWith('key-1', expect.any(Number));
    const untilMs = (add.mock.calls as unknown as Array<[string, number]>)[0]?.[1] ?? 0;
    expect(untilMs - started).toBeGreaterThanOrEqual(60_000);
    settle();
    announcer.close();
  });

  it('retries an announcement Redis refused, in the background, until it is taken', async () => {
    const add = vi
      .fn<KeyRevocationStore['add']>()
      .mockRejectedValueOnce(new Error('down'))
      .mockRejectedValueOnce(new Error('still down'))
      .mockResolvedValue(undefined);
    const announcer = new KeyRevocationAnnouncer(store(add), 60_000, log, [10, 10, 10]);
    await announcer.announce('key-2');
    await vi.waitFor(() => expect(add).toHaveBeenCalledTimes(3));
    announcer.close();
  });

  it('stops retrying when closed', async () => {
    const add = vi.fn<KeyRevocationStore['add']>().mockRejectedValue(new Error('down'));
    const announcer = new KeyRevocationAnnouncer(store(add), 60_000, log, [30, 30, 30]);
    await announcer.announce('key-3');
    announcer.close();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(add).toHaveBeenCalledTimes(1);
  });
});
