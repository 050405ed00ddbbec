import { TICKET_PROTOCOL, verifyTicket, type TicketCheck, type TicketClaims } from '@helpdesk/shared';
import { RevokedKeys } from './revoked-keys.js';

// Socket tickets at the upgrade (issue 3, item 4). The api signs a short-lived ticket naming one
// organization; the socket presents it and the gateway checks it with the shared secret alone.
//
// Where the ticket comes from:
// - `?token=<ticket>` in the URL;
// - `Sec-WebSocket-Protocol`, since browsers cannot set other headers on a WebSocket: a browser
//   offers `['helpdesk-ticket', '<ticket>']` and we select `helpdesk-ticket` (a browser fails the
//   socket when the server selects a protocol it did not offer, or none when it offered some);
//   a client that offers only the ticket gets the ticket selected back.

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

export type TicketRefusalReason =
  'ticketMissing' | 'ticketInvalid' | 'ticketExpired' | 'ticketOtherOrganization' | 'ticketKeyRevoked';

export interface TicketRefusal {
  status: 401 | 403;
  detail: string;
  reason: TicketRefusalReason;
}

/** Verified tickets remembered at most; a ticket is ~150 bytes, so this stays under a few MB. */
export const VERIFIED_TICKETS_MAX = 10_000;

const REFUSALS = {
  missing: { status: 401, detail: TICKET_DETAILS.missing, reason: 'ticketMissing' },
  invalid: { status: 401, detail: TICKET_DETAILS.invalid, reason: 'ticketInvalid' },
  // Counted apart: a burst of these points at clock skew between api and gateways.
  expired: { status: 401, detail: TICKET_DETAILS.invalid, reason: 'ticketExpired' },
  otherOrganization: { status: 403, detail: TICKET_DETAILS.otherOrganization, reason: 'ticketOtherOrganization' },
  // Its key was revoked after the ticket was issued: as invalid as a forged one to the client.
  keyRevoked: { status: 401, detail: TICKET_DETAILS.invalid, reason: 'ticketKeyRevoked' },
} as const satisfies Record<string, TicketRefusal>;

export type TicketAdmission = { refusal: TicketRefusal } | { refusal: undefined; claims: TicketClaims };

const REASONS: Record<Extract<TicketCheck, { ok: false }>['reason'], TicketRefusal> = {
  malformed: REFUSALS.invalid,
  'bad-signature': REFUSALS.invalid,
  expired: REFUSALS.expired,
  'wrong-organization': REFUSALS.otherOrganization,
};

/**
 * Checks the tickets presented at upgrades. Many sockets present the same ticket (a client's
 * tabs, a reconnect storm after a gateway restart), so the claims of each ticket that verified
 * are remembered by its exact text until it expires, and the HMAC, base64url and JSON.parse run
 * once per ticket instead of once per upgrade (bench/README.md, hot spot 5). Only tickets whose
 * signature verified are remembered, never a failure: a forged or malformed ticket costs its
 * full check every time and takes no room. Bounded: the oldest (the first to expire, since
 * tickets share one lifetime) make room for new ones.
 */
export class TicketChecker {
  private readonly verified = new Map<string, TicketClaims>();

  constructor(
    private readonly secret: string,
    private readonly maxEntries = VERIFIED_TICKETS_MAX,
    private readonly revoked: RevokedKeys = new RevokedKeys(),
  ) {}

  /** Why a ticket does not open a socket of `organization`, or undefined when it does. */
  refusal(token: string | undefined, organization: string, nowMs: number): TicketRefusal | undefined {
    return this.admit(token, organization, nowMs).refusal;
  }

  /** The ticket's claims when it opens a socket of `organization`, else why not. */
  admit(token: string | undefined, organization: string, nowMs: number): TicketAdmission {
    if (token === undefined) return { refusal: REFUSALS.missing };
    let claims = this.verified.get(token);
    if (claims) {
      // The same answers, in the same order, as verifyTicket for a ticket whose signature holds.
      if (claims.exp * 1000 <= nowMs) {
        this.verified.delete(token);
        return { refusal: REFUSALS.expired };
      }
      if (claims.org !== organization) return { refusal: REFUSALS.otherOrganization };
    } else {
      const check = verifyTicket(this.secret, token, organization, nowMs);
      if (!check.ok) return { refusal: REASONS[check.reason] };
      claims = check.claims;
      this.remember(token, claims);
    }
    if (this.revoked.has(claims.kid, nowMs)) return { refusal: REFUSALS.keyRevoked };
    return { refusal: undefined, claims };
  }

  /** Whether tickets of this key open no socket any more (its key was revoked). */
  isRevoked(keyId: string | undefined, nowMs: number): boolean {
    return this.revoked.has(keyId, nowMs);
  }

  /** Tickets remembered (a gauge, and for tests). */
  get size(): number {
    return this.verified.size;
  }

  private remember(token: string, claims: TicketClaims): void {
    if (this.verified.size >= this.maxEntries) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, claims);
  }
}
