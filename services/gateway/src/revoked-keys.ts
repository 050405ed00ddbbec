import { MAX_TICKET_TTL_SECONDS } from '@helpdesk/shared';

/**
 * API keys revoked while this gateway ran, each remembered as long as a ticket issued before its
 * revocation can live: their tickets open no socket. Revocations are rare, so this stays tiny.
 */
export class RevokedKeys {
  private readonly until = new Map<string, number>();

  constructor(private readonly rememberMs = MAX_TICKET_TTL_SECONDS * 1000) {}

  add(keyUuid: string, nowMs: number): void {
    for (const [key, until] of this.until) if (until <= nowMs) this.until.delete(key);
    this.until.set(keyUuid, nowMs + this.rememberMs);
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
