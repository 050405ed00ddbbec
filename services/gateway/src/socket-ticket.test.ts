import { issueTicket } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { presentedTicket, ticketRefusal, TICKET_PROTOCOL } from './socket-ticket.js';

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
    expect(presentedTicket(undefined, 'helpdesk-ticket')).toEqual({ token: undefined, protocol: TICKET_PROTOCOL });
  });

  it('selects a ticket offered alone, and finds none in anything else', () => {
    expect(presentedTicket(undefined, ' abc.def ')).toEqual({ token: 'abc.def', protocol: 'abc.def' });
    expect(presentedTicket(undefined, '')).toEqual({ token: undefined, protocol: '' });
    expect(presentedTicket(undefined, 'one, two')).toEqual({ token: undefined, protocol: '' });
  });
});

describe('ticketRefusal', () => {
  const secret = 's'.repeat(32);
  const now = 1_800_000_000_000;
  const { token } = issueTicket(secret, 'acme', 60, now);

  it('opens the way for a valid ticket of the organization', () => {
    expect(ticketRefusal(secret, token, 'acme', now)).toBeUndefined();
  });

  it('answers 401 for a missing, malformed, forged or expired ticket and 403 for another organization', () => {
    expect(ticketRefusal(secret, undefined, 'acme', now)).toEqual({
      status: 401,
      detail: 'Authentication credentials were not provided.',
      reason: 'ticketMissing',
    });
    const invalid = { status: 401, detail: 'Invalid or expired ticket.' };
    expect(ticketRefusal(secret, 'junk', 'acme', now)).toEqual({ ...invalid, reason: 'ticketInvalid' });
    expect(ticketRefusal('t'.repeat(32), token, 'acme', now)).toEqual({ ...invalid, reason: 'ticketInvalid' });
    expect(ticketRefusal(secret, token, 'acme', now + 60_000)).toEqual({ ...invalid, reason: 'ticketExpired' });
    expect(ticketRefusal(secret, token, 'globex', now)).toEqual({
      status: 403,
      detail: 'This ticket is for another organization.',
      reason: 'ticketOtherOrganization',
    });
  });
});
