import { describe, expect, it } from 'vitest';
import { lastEventIdOf } from './last-event-id.js';

describe('lastEventIdOf', () => {
  it('reads a whole number, with other parameters around it', () => {
    expect(lastEventIdOf('last_event_id=0')).toBe(0);
    expect(lastEventIdOf('token=a.b&last_event_id=42')).toBe(42);
    expect(lastEventIdOf('last_event_id=%34%32&token=x')).toBe(42);
    expect(lastEventIdOf('last_event_id=007')).toBe(7);
    expect(lastEventIdOf(`last_event_id=${Number.MAX_SAFE_INTEGER}`)).toBe(Number.MAX_SAFE_INTEGER);
    expect(lastEventIdOf('last_event_id=3&last_event_id=x')).toBe(3);
  });

  it('says none when the parameter is absent', () => {
    expect(lastEventIdOf('')).toBeUndefined();
    expect(lastEventIdOf('token=abc')).toBeUndefined();
    expect(lastEventIdOf('last_event_idx=3')).toBeUndefined();
  });

  it.each([
    'last_event_id',
    'last_event_id=',
    'last_event_id=-1',
    'last_event_id=1.5',
    'last_event_id=1e3',
    'last_event_id=+3',
    'last_event_id=%203',
    'last_event_id=abc',
    'last_event_id=0x10',
    `last_event_id=${Number.MAX_SAFE_INTEGER + 1}`,
    'last_event_id=99999999999999999999',
  ])('rejects %s', (query) => {
    expect(lastEventIdOf(query)).toBeNull();
  });
});
