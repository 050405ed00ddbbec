import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './webhook-signature.js';

describe('webhook signature', () => {
  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const body = '{"message":"olá"}';
    const expected = createHmac('sha256', 'secret').update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader('secret', body, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies the body, the secret and the age of the timestamp', () => {
    const header = signatureHeader('secret', 'body', 1000);
    expect(verifySignature('secret', 'body', header, 1000)).toBe(true);
    expect(verifySignature('secret', 'body', header, 1300)).toBe(true);
    expect(verifySignature('secret', 'body', header, 1301)).toBe(false);
    expect(verifySignature('secret', 'Body', header, 1000)).toBe(false);
    expect(verifySignature('other', 'body', header, 1000)).toBe(false);
    expect(verifySignature('secret', 'body', 'garbage', 1000)).toBe(false);
    expect(verifySignature('secret', 'body', header.replace('t=1000', 't=1001'), 1000)).toBe(false);
  });
});
