import { issueTicket, TICKET_PROTOCOL } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { presentedTicket, TicketChecker } from './socket-ticket.js';

describe('presentedTicket', () => {
  it('takes ?token= and selects no protocol, or helpdesk-ticket if offered', () => {
    expect(presentedTicket('abc.def', '')).toEqual({ token: 'abc.def', protocol: '' });
    expect(presentedTicket('abc.def', 'helpdesk-ticket, other.ticket')).toEqual({
      token: 'abc.def',
      protocol: TICKET_PROTOCOL,
    });
    expect(presentedTicket('abc.def', 'graphql-ws')).toEqual({ token: 'abc.def', protocol: '' });
  });

  it("takes a browser's ['helpdesk-ticket', ticket] in either order and selects helpdesk-ticket", () => {
    expect(presentedTicket(undefined, 'helpdesk-ticket, abc.def')).toEqual({
      token: 'abc.def',
      protocol: TICKET_PROTOCOL,
    });
    expect(presentedTicket('', 'abc.def,helpdesk-ticket')).toEqual({ token: 'abc.def', protocol: TICKET_PROTOCOL });
    expect(presentedTicket(undefined, TICKET_PROTOCOL)).toEqual({ token: undefined, protocol: TICKET_PROTOCOL });
  });

  it('selects a ticket offered alone, and finds none in anything else', () => {
    expect(presentedTicket(undefined, ' abc.def ')).toEqual({ token: 'abc.def', protocol: 'abc.def' });
    expect(presentedTicket(undefined, '')).toEqual({ token: undefined, protocol: '' });
    expect(presentedTicket(undefined, 'one, two')).toEqual({ token: undefined, protocol: '' });
  });
});

describe('TicketChecker', () => {
  const secret = 's'.repeat(32);
  const now = 1_800_000_000_000;
  const { token } = issueTicket(secret, 'acme', 60, now);
  const invalid = { status: 401, detail: 'Invalid or expired ticket.' };
  const otherOrganization = {
    status: 403,
    detail: 'This ticket is for another organization.',
    reason: 'ticketOtherOrganization',
  };

  it('opens the way for a valid ticket of the organization', () => {
    expect(new TicketChecker(secret).refusal(token, 'acme', now)).toBeUndefined();
  });

  it('answers 401 for a missing, malformed, forged or expired ticket and 403 for another organization', () => {
    const tickets = new TicketChecker(secret);
    expect(tickets.refusal(undefined, 'acme', now)).toEqual({
      status: 401,
      detail: 'Authentication credentials were not provided.',
      reason: 'ticketMissing',
    });
    expect(tickets.refusal('junk', 'acme', now)).toEqual({ ...invalid, reason: 'ticketInvalid' });
    expect(new TicketChecker('t'.repeat(32)).refusal(token, 'acme', now)).toEqual({
      ...invalid,
      reason: 'ticketInvalid',
    });
    expect(tickets.refusal(token, 'acme', now + 60_000)).toEqual({ ...invalid, reason: 'ticketExpired' });
    expect(tickets.refusal(token, 'globex', now)).toEqual(otherOrganization);
    // Nothing of those was remembered.
    expect(tickets.size).toBe(0);
  });

  it('verifies a ticket once, then answers the same from what it remembered, until the ticket expires', () => {
    const tickets = new TicketChecker(secret);
    expect(tickets.refusal(token, 'acme', now)).toBeUndefined();
    expect(tickets.size).toBe(1);
    // A remembered ticket keeps its claims: another organization, then expiry, as verifyTicket says.
    expect(tickets.refusal(token, 'acme', now + 59_999)).toBeUndefined();
    expect(tickets.refusal(token, 'globex', now)).toEqual(otherOrganization);
    expect(tickets.refusal(token, 'acme', now + 60_000)).toEqual({ ...invalid, reason: 'ticketExpired' });
    expect(tickets.size).toBe(0);
  });

  it('remembers only tickets whose signature held, never a near miss of one', () => {
    const tickets = new TicketChecker(secret);
    tickets.refusal(token, 'acme', now);
    const [body, signature] = token.split('.') as [string, string];
    const tampered = `${body}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    expect(tickets.refusal(tampered, 'acme', now)).toEqual({ ...invalid, reason: 'ticketInvalid' });
    expect(tickets.refusal(tampered, 'acme', now)).toEqual({ ...invalid, reason: 'ticketInvalid' });
    expect(tickets.size).toBe(1);
  });

  it('keeps at most its bound, dropping the oldest', () => {
    const tickets = new TicketChecker(secret, 2);
    const [a, b, c] = [1, 2, 3].map(() => issueTicket(secret, 'acme', 60, now).token) as [string, string, string];
    for (const ticket of [a, b, c]) expect(tickets.refusal(ticket, 'acme', now)).toBeUndefined();
    expect(tickets.size).toBe(2);
    // a was dropped: verified again (and still valid).
    expect(tickets.refusal(a, 'acme', now)).toBeUndefined();
    expect(tickets.size).toBe(2);
  });
});
