import { describe, expect, it } from 'vitest';
import { MESSAGE_STATUSES } from '@helpdesk/shared';
import { canMoveMessage } from './statuses.js';

describe('canMoveMessage', () => {
  it('allows forward moves only: sending → sent → delivered → read, steps may be skipped', () => {
    const allowed = MESSAGE_STATUSES.flatMap((from) =>
      MESSAGE_STATUSES.filter((to) => canMoveMessage(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'sending→sent',
        'sending→delivered',
        'sending→read',
        'sending→failed',
        'sent→delivered',
        'sent→read',
        'sent→failed',
        'delivered→read',
      ].sort(),
    );
  });

  it('never moves to the same status', () => {
    for (const status of MESSAGE_STATUSES) expect(canMoveMessage(status, status)).toBe(false);
  });
});
