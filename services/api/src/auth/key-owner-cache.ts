import type { KeyOwner } from '../db/api-key.repository.js';

/**
 * Valid API keys' owners, by key hash, so a request with a known key needs no database round
 * trip. Revocations are pushed (`revoke`, from the bus's key-revocation channel, which this
 * replica hears like every other one): an entry is dropped as soon as its key's revocation
 * arrives. Nothing is served from here unless the replica is hearing that channel (`listening`);
 * while it is not, every lookup goes to the database and the cache is emptied, since a
 * revocation may go unheard. `ttlMs` bounds how long an entry lives in any case.
 */
export class KeyOwnerCache {
  private readonly entries = new Map<string, { owner: KeyOwner; until: number }>();
  private readonly hashByKeyUuid = new Map<string, string>();
  /** Raised by every revocation and clear: a lookup that read the database before it is not kept. */
  private generation = 0;

  constructor(
    private readonly options: {
      /** Entries kept at most; the oldest go first. */
      maxEntries: number;
      ttlMs: number;
      /** Whether revocations are being heard right now. */
      listening: () => boolean;
      now?: () => number;
    },
  ) {}

  /** The key's owner from the cache, else from `find` (the database); invalid keys are not kept. */
  async lookup(
    keyHash: string,
    find: (keyHash: string) => Promise<KeyOwner | undefined>,
  ): Promise<KeyOwner | undefined> {
    if (!this.enabled()) {
      this.clear();
      return find(keyHash);
    }
    const now = this.now();
    const hit = this.entries.get(keyHash);
    if (hit !== undefined) {
      if (hit.until > now) return hit.owner;
      this.drop(keyHash, hit.owner.keyUuid);
    }
    const generation = this.generation;
    const owner = await find(keyHash);
    // A revocation heard while the database answered may be this very key's: not kept then.
    if (owner !== undefined && generation === this.generation && this.enabled()) this.keep(keyHash, owner, now);
    return owner;
  }

  /** The key (by uuid, as revocations name it) was revoked. */
  revoke(keyUuid: string): void {
    this.generation += 1;
    const hash = this.hashByKeyUuid.get(keyUuid);
    if (hash !== undefined) this.drop(hash, keyUuid);
  }

  /** Forgets everything (revocations may have gone unheard). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.hashByKeyUuid.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private enabled(): boolean {
    return this.options.ttlMs > 0 && this.options.maxEntries > 0 && this.options.listening();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private keep(keyHash: string, owner: KeyOwner, now: number): void {
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.entries().next();
      if (!oldest.done) this.drop(oldest.value[0], oldest.value[1].owner.keyUuid);
    }
    this.entries.set(keyHash, { owner, until: now + this.options.ttlMs });
    this.hashByKeyUuid.set(owner.keyUuid, keyHash);
  }

  private drop(keyHash: string, keyUuid: string): void {
    this.entries.delete(keyHash);
    this.hashByKeyUuid.delete(keyUuid);
  }
}
