import { describe, expect, it } from 'vitest';
import { phoneDigits } from './phone-digits.js';

describe('phoneDigits', () => {
  it('keeps the digits of text that reads as a phone number', () => {
    expect(phoneDigits('+55 (11) 99999-0000')).toBe('5511999990000');
    expect(phoneDigits('11.9999')).toBe('119999');
    expect(phoneDigits('5511')).toBe('5511');
  });

  it('is undefined for names, mixed text and formatting alone', () => {
    expect(phoneDigits('Ana')).toBeUndefined();
    expect(phoneDigits('room 12')).toBeUndefined();
    expect(phoneDigits('1_2')).toBeUndefined();
    expect(phoneDigits('+ - ()')).toBeUndefined();
  });
});
