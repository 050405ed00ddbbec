import { describe, expect, it } from 'vitest';
import { issueTicket, verifyTicket } from './tickets.js';

const SECRET = 'x'.repeat(32);
const NOW = 1_800_000_000_000;

describe('socket tickets', () => {
  it('verify for the organization they name, until they expire', () => {
    const { token, claims } = issueTicket(SECRET, 'acme', 60, NOW);
    expect(claims.exp).toBe(NOW / 1000 + 60);
    expect(verifyTicket(SECRET, token, 'acme', NOW + 59_000)).toEqual({ ok: true, claims });
    expect(verifyTicket(SECRET, token, 'acme', NOW + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuse another organization, another secret, and any change to a byte', () => {
    const { token } = issueTicket(SECRET, 'acme', 60, NOW);
    expect(verifyTicket(SECRET, token, 'other', NOW)).toEqual({ ok: false, reason: 'wrong-organization' });
    expect(verifyTicket('y'.repeat(32), token, 'acme', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
    const [body, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ org: 'other', exp: NOW / 1000 + 60, jti: 'a' })).toString('base64url');
    expect(verifyTicket(SECRET, `${forged}.${mac}`, 'other', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
    const flipped = `${body}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(verifyTicket(SECRET, flipped, 'acme', NOW).ok).toBe(false);
  });

  it('have one spelling: padding or spare bits changed do not verify', () => {
    const { token } = issueTicket(SECRET, 'acme', 60, NOW);
    expect(verifyTicket(SECRET, `${token}=`, 'acme', NOW).ok).toBe(false);
    const last = token.at(-1)!;
    const sibling = String.fromCharCode(last.charCodeAt(0) ^ 1);
    expect(verifyTicket(SECRET, `${token.slice(0, -1)}${sibling}`, 'acme', NOW).ok).toBe(false);
  });

  it('call garbage malformed, never throw', () => {
    for (const junk of ['', '.', 'abc', 'a.b.c', '%%%.%%%', `${'a'.repeat(2000)}.b`]) {
      expect(verifyTicket(SECRET, junk, 'acme', NOW).ok).toBe(false);
    }
  });
});
