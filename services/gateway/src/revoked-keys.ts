import { MAX_TICKET_TTL_SECONDS } from '@helpdesk/shared';

/**
 * API keys revoked lately (heard live, or read from the bus's kept list at start and after an
 * outage), each remembered as long as a ticket issued before its revocation can live: their
 * tickets open no socket. Revocations are rare, so this stays tiny.
 */
export class RevokedKeys {
  private readonly until = new Map<string, number>();

  constructor(private readonly rememberMs = MAX_TICKET_TTL_SECONDS * 1000) {}

  /** False when the key was known already. */
  add(keyUuid: string, nowMs: number): boolean {
    for (const [key, until] of this.until) if (until <= nowMs) this.until.delete(key);
    const known = this.until.has(keyUuid);
    this.until.set(keyUuid, nowMs + this.rememberMs);
    return !known;
  }

  has(keyUuid: string | undefined, nowMs: number): boolean {
    if (keyUuid === undefined) return false;
    const until = this.until.get(keyUuid);
    return until !== undefined && until > nowMs;
  }

  get size(): number {
    return this.until.size;
  }
}
