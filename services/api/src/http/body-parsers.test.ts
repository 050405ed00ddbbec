import { describe, expect, it } from 'vitest';
import { parseLastValues } from './body-parsers.js';

describe('parseLastValues', () => {
  it("reads a form or query string as Django's QueryDict reads single values: the last one wins", () => {
    expect({ ...parseLastValues('a=1&b=2&a=3') }).toEqual({ a: '3', b: '2' });
    expect({ ...parseLastValues('message=ol%C3%A1+mundo&empty=') }).toEqual({ message: 'olá mundo', empty: '' });
    expect({ ...parseLastValues('') }).toEqual({});
  });

  it('gives objects without a prototype to pollute', () => {
    const parsed = parseLastValues('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.entries(parsed)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
