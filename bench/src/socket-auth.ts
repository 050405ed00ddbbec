// How a load-generator socket gets permission to connect: a socket ticket (?token=…) for its
// organization. Against processes it starts, the bench knows the gateway's secret and signs
// tickets itself with the same code the api uses (issueTicket). Against a deployment it asks
// POST /api/ws-tickets/ with the organization's key, as a client would. Either way one ticket per
// organization and worker, reused by that organization's sockets until shortly before it expires.

import { Pool } from 'undici';
import { chatSocketPath, issueTicket } from '@helpdesk/shared';

export interface SocketRequest {
  url: string;
  headers: Record<string, string>;
}

export type SocketAuth =
  /** The SECRET_KEY the gateway verifies tickets with. */
  | { secretKey: string }
  /** A deployment's api, and each organization's key. */
  | { apiUrl: string; keys: Record<string, string> };

const TICKET_TTL_SECONDS = 600;
/** Asked-for tickets are used until this long before they expire. */
const RENEW_BEFORE_MS = 10_000;
const tickets = new Map<string, Promise<{ token: string; expiresAt: number }>>();
let pool: Pool | undefined;

async function askTicket(apiUrl: string, organization: string, key: string) {
  pool ??= new Pool(apiUrl, { connections: 8 });
  const response = await pool.request({
    method: 'POST',
    path: '/api/ws-tickets/',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ organization }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 201 && response.statusCode !== 200)
    throw new Error(`POST /api/ws-tickets/ answered ${response.statusCode}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { token: string; expires_in?: number; expires_at?: string };
  const ttlMs =
    body.expires_at !== undefined ? Date.parse(body.expires_at) - Date.now() : (body.expires_in ?? 60) * 1000;
  return { token: body.token, expiresAt: Date.now() + ttlMs };
}

export async function socketRequest(baseUrl: string, organization: string, auth: SocketAuth): Promise<SocketRequest> {
  let ticket = tickets.get(organization);
  const fresh = ticket && (await ticket.catch(() => undefined));
  if (ticket === undefined || fresh === undefined || fresh.expiresAt - Date.now() < RENEW_BEFORE_MS) {
    if ('secretKey' in auth) {
      const issued = issueTicket(auth.secretKey, organization, TICKET_TTL_SECONDS);
      ticket = Promise.resolve({ token: issued.token, expiresAt: issued.claims.exp * 1000 });
    } else {
      const key = auth.keys[organization];
      if (key === undefined) throw new Error(`no key for organization ${organization}`);
      ticket = askTicket(auth.apiUrl, organization, key);
    }
    tickets.set(organization, ticket);
  }
  const { token } = await ticket;
  return { url: `${baseUrl}${chatSocketPath(organization)}?token=${encodeURIComponent(token)}`, headers: {} };
}
