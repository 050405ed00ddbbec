import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Socket tickets: short-lived, signed, naming one organization. The api issues them to a holder of
// a valid key; gateways verify them with the shared secret alone (no database on the socket path).
// Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, that first part)).

export interface TicketClaims {
  /** Organization name the ticket opens sockets for. */
  org: string;
  /** Expiry, Unix seconds. */
  exp: number;
  /** Random, so two tickets issued in the same second differ. */
  jti: string;
  /**
   * The uuid of the API key the ticket was issued to: when that key is revoked, gateways close
   * the sockets its tickets opened and refuse its tickets still unexpired. Absent in tickets
   * issued before keys were named in them.
   */
  kid?: string;
}

export type TicketCheck =
  | { ok: true; claims: TicketClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-organization' };

function sign(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

export function issueTicket(
  secret: string,
  organization: string,
  ttlSeconds: number,
  nowMs = Date.now(),
  keyId?: string,
): { token: string; claims: TicketClaims } {
  const claims: TicketClaims = {
    org: organization,
    exp: Math.floor(nowMs / 1000) + ttlSeconds,
    jti: randomBytes(9).toString('base64url'),
    ...(keyId === undefined ? {} : { kid: keyId }),
  };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return { token: `${body}.${sign(secret, body).toString('base64url')}`, claims };
}

/** Checks signature (constant time), expiry and organization; never throws on client input. */
export function verifyTicket(secret: string, token: string, organization: string, nowMs = Date.now()): TicketCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.') || token.length > 1024) return { ok: false, reason: 'malformed' };
  const body = token.slice(0, dot);
  // Compared as canonical base64url text, so a ticket has exactly one valid spelling.
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(secret, body).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad-signature' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isClaims(claims)) return { ok: false, reason: 'malformed' };
  if (claims.exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  if (claims.org !== organization) return { ok: false, reason: 'wrong-organization' };
  return { ok: true, claims };
}

function isClaims(value: unknown): value is TicketClaims {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.org === 'string' &&
    typeof v.exp === 'number' &&
    Number.isFinite(v.exp) &&
    typeof v.jti === 'string' &&
    (v.kid === undefined || typeof v.kid === 'string')
  );
}

/** Shortest SECRET_KEY accepted: 32 characters, the HMAC-SHA256 key size in bytes. */
export const MIN_SECRET_KEY_LENGTH = 32;
export const SECRET_KEY_PURPOSE = 'the secret the api signs socket tickets with (the same value for api and gateways)';

/** The longest ticket lifetime the api may be configured with (WS_TICKET_TTL_SECONDS). */
export const MAX_TICKET_TTL_SECONDS = 3600;
