import { verifyTicket } from '@helpdesk/shared';

// Socket tickets at the upgrade (issue 3, item 4). The api signs a short-lived ticket naming one
// organization; the socket presents it and the gateway checks it with the shared secret alone.
//
// Where the ticket comes from:
// - `?token=<ticket>` in the URL;
// - `Sec-WebSocket-Protocol`, since browsers cannot set other headers on a WebSocket: a browser
//   offers `['helpdesk-ticket', '<ticket>']` and we select `helpdesk-ticket` (a browser fails the
//   socket when the server selects a protocol it did not offer, or none when it offered some);
//   a client that offers only the ticket gets the ticket selected back.

/** The subprotocol that announces "the other offered protocol is my ticket". */
export const TICKET_PROTOCOL = 'helpdesk-ticket';

export interface PresentedTicket {
  /** The ticket, if the request carries one. */
  token: string | undefined;
  /** The Sec-WebSocket-Protocol to answer with; '' selects none. */
  protocol: string;
}

/**
 * Finds the ticket in a `token` query value and a Sec-WebSocket-Protocol header. The query wins
 * when both carry one. Protocols we do not speak are never selected.
 */
export function presentedTicket(queryToken: string | undefined, protocolHeader: string): PresentedTicket {
  const offered = protocolHeader
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== '');
  const markerOffered = offered.includes(TICKET_PROTOCOL);
  if (queryToken !== undefined && queryToken !== '') {
    return { token: queryToken, protocol: markerOffered ? TICKET_PROTOCOL : '' };
  }
  if (markerOffered) {
    return { token: offered.find((protocol) => protocol !== TICKET_PROTOCOL), protocol: TICKET_PROTOCOL };
  }
  const [only] = offered;
  if (offered.length === 1 && only !== undefined) return { token: only, protocol: only };
  return { token: undefined, protocol: '' };
}

export const TICKET_DETAILS = {
  // Django REST Framework's NotAuthenticated text, which old clients may already show.
  missing: 'Authentication credentials were not provided.',
  invalid: 'Invalid or expired ticket.',
  otherOrganization: 'This ticket is for another organization.',
} as const;

export type TicketRefusalReason = 'ticketMissing' | 'ticketInvalid' | 'ticketExpired' | 'ticketOtherOrganization';

export interface TicketRefusal {
  status: 401 | 403;
  detail: string;
  reason: TicketRefusalReason;
}

/** Why a ticket does not open a socket of `organization`, or undefined when it does. */
export function ticketRefusal(
  secret: string,
  token: string | undefined,
  organization: string,
  nowMs: number,
): TicketRefusal | undefined {
  if (token === undefined) return { status: 401, detail: TICKET_DETAILS.missing, reason: 'ticketMissing' };
  const check = verifyTicket(secret, token, organization, nowMs);
  if (check.ok) return undefined;
  switch (check.reason) {
    case 'malformed':
    case 'bad-signature':
      return { status: 401, detail: TICKET_DETAILS.invalid, reason: 'ticketInvalid' };
    case 'expired':
      // Counted apart: a burst of these points at clock skew between api and gateways.
      return { status: 401, detail: TICKET_DETAILS.invalid, reason: 'ticketExpired' };
    case 'wrong-organization':
      return { status: 403, detail: TICKET_DETAILS.otherOrganization, reason: 'ticketOtherOrganization' };
  }
}
