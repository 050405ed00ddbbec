import { describe, expect, it } from 'vitest';
import { clientMatchesSearch, searchPhoneDigits } from './help-desk-search.js';

describe('searchPhoneDigits', () => {
  it('keeps the digits of text that reads as a phone number', () => {
    expect(searchPhoneDigits('+55 (11) 99999-0000')).toBe('5511999990000');
    expect(searchPhoneDigits('11.9999')).toBe('119999');
    expect(searchPhoneDigits('5511')).toBe('5511');
  });

  it('is undefined for names, mixed text and formatting alone', () => {
    expect(searchPhoneDigits('Ana')).toBeUndefined();
    expect(searchPhoneDigits('room 12')).toBeUndefined();
    expect(searchPhoneDigits('1_2')).toBeUndefined();
    expect(searchPhoneDigits('+ - ()')).toBeUndefined();
  });
});

describe('clientMatchesSearch', () => {
  const ana = { name: 'Ana Souza 100%', phone: '+55 11 99999-0000' };

  it('matches a part of the name or phone in any case, literally, and a number by its digits', () => {
    const searches = ['souza', 'ANA S', '100%', '11 999', '+55', '1199999', '(11) 99999-0000'];
    expect(searches.filter((search) => !clientMatchesSearch(ana, search))).toEqual([]);
  });

  it('matches nothing else: other text, wildcards, other digits', () => {
    const searches = ['bruno', 'a%a', '_', '1188', 'ana 55', '12'];
    expect(searches.filter((search) => clientMatchesSearch(ana, search))).toEqual([]);
  });
});
