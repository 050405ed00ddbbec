import { encodeKeyRevoked, keyRevocationsChannel, type EventPublisher } from '@helpdesk/shared';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { KeyRevocationAnnouncer } from './key-revocation-announcer.js';

const log = pino({ level: 'silent' });

function publisher(publish: EventPublisher['publish']): EventPublisher {
  return { publish, publishSequenced: () => Promise.resolve(), close: () => Promise.resolve() };
}

describe('KeyRevocationAnnouncer', () => {
  it('does not hold the answer while Redis does not answer; the publish goes on', async () => {
    let settle: () => void = () => undefined;
    const publish = vi.fn(() => new Promise<void>((resolve) => (settle = resolve)));
    const announcer = new KeyRevocationAnnouncer(publisher(publish), 'p:', log);
    const started = Date.now();
    await announcer.announce('key-1', 50);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(publish).toHaveBeenCalledWith(keyRevocationsChannel('p:'), encodeKeyRevoked('key-1'));
    settle();
    announcer.close();
  });

  it('retries a publish Redis refused, in the background, until it is taken', async () => {
    const publish = vi
      .fn<EventPublisher['publish']>()
      .mockRejectedValueOnce(new Error('down'))
      .mockRejectedValueOnce(new Error('still down'))
      .mockResolvedValue(undefined);
    const announcer = new KeyRevocationAnnouncer(publisher(publish), 'p:', log, [10, 10, 10]);
    await announcer.announce('key-2');
    await vi.waitFor(() => expect(publish).toHaveBeenCalledTimes(3));
    announcer.close();
  });

  it('stops retrying when closed', async () => {
    const publish = vi.fn<EventPublisher['publish']>().mockRejectedValue(new Error('down'));
    const announcer = new KeyRevocationAnnouncer(publisher(publish), 'p:', log, [30, 30, 30]);
    await announcer.announce('key-3');
    announcer.close();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(publish).toHaveBeenCalledTimes(1);
  });
});
