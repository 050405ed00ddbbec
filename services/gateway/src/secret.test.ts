import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from './secret.js';

describe('Secret', () => {
  it('gives its value only through reveal()', () => {
    const value = 'k'.repeat(40);
    const secret = new Secret(value);
    expect(secret.reveal()).toBe(value);
    const printed = [
      JSON.stringify({ config: { secretKey: secret } }),
      inspect({ secretKey: secret }, { depth: 5, showHidden: true }),
      String(secret),
      JSON.stringify({ ...{ secretKey: secret } }),
    ];
    for (const text of printed) expect(text).not.toContain(value);
  });
});
