import { describe, expect, it } from 'vitest';
import { pgTimestampToIso } from './timestamps.js';

describe('pgTimestampToIso', () => {
  it('keeps microseconds and writes the offset as ±HH:MM', () => {
    expect(pgTimestampToIso('2021-06-14 22:10:39.551836-03')).toBe('2021-06-14T22:10:39.551836-03:00');
  });
  it('pads a fraction Postgres shortened and adds one it left out', () => {
    expect(pgTimestampToIso('2021-06-14 22:10:39.5518+00')).toBe('2021-06-14T22:10:39.551800+00:00');
    expect(pgTimestampToIso('2021-06-14 22:10:39+00')).toBe('2021-06-14T22:10:39.000000+00:00');
  });
  it('keeps offsets with minutes', () => {
    expect(pgTimestampToIso('2021-06-14 22:10:39.000001+05:30')).toBe('2021-06-14T22:10:39.000001+05:30');
  });
  it('refuses text that is not a timestamptz', () => {
    expect(() => pgTimestampToIso('yesterday')).toThrow(/unexpected timestamptz/);
  });
});
