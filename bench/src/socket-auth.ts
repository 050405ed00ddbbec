// How a load-generator socket gets permission to connect: a socket ticket (?token=…) for its
// organization. The bench starts the gateway with a secret of its own, so it signs tickets itself
// with the same code the api uses (issueTicket), one per organization and worker, reused by that
// organization's sockets until shortly before it expires. A load tester without the secret would
// POST /api/ws-tickets/ with an organization key here instead: this is the one function to change.

import { issueTicket, chatSocketPath } from '@helpdesk/shared';

export interface SocketRequest {
  url: string;
  headers: Record<string, string>;
}

export interface SocketAuth {
  /** The SECRET_KEY the gateway verifies tickets with. */
  secretKey: string;
}

const TICKET_TTL_SECONDS = 600;
const tickets = new Map<string, { token: string; exp: number }>();

export function socketRequest(baseUrl: string, organization: string, auth: SocketAuth): Promise<SocketRequest> {
  let ticket = tickets.get(organization);
  if (ticket === undefined || ticket.exp * 1000 - Date.now() < 60_000) {
    const issued = issueTicket(auth.secretKey, organization, TICKET_TTL_SECONDS);
    ticket = { token: issued.token, exp: issued.claims.exp };
    tickets.set(organization, ticket);
  }
  return Promise.resolve({
    url: `${baseUrl}${chatSocketPath(organization)}?token=${encodeURIComponent(ticket.token)}`,
    headers: {},
  });
}
