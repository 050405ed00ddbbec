// Loss and duplicate accounting. Every event carries a per-organization sequence number; each
// socket records the numbers it saw in a bitmap (events of one organization may arrive out of
// order end to end, when concurrent POSTs commit in another order than they started). At the end
// the driver says which numbers it published, and each socket's bitmap is compared with that.

export class Bitmap {
  private bytes: Uint8Array;

  constructor(bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(16);
  }

  /** Sets the bit; false when it was already set. */
  set(index: number): boolean {
    const byte = index >>> 3;
    if (byte >= this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size <= byte) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const mask = 1 << (index & 7);
    const was = this.bytes[byte]! & mask;
    this.bytes[byte]! |= mask;
    return was === 0;
  }

  has(index: number): boolean {
    const byte = index >>> 3;
    return byte < this.bytes.length && (this.bytes[byte]! & (1 << (index & 7))) !== 0;
  }

  count(): number {
    let n = 0;
    for (const b of this.bytes) n += POPCOUNT[b]!;
    return n;
  }

  /** Bits set here and not in `other`. */
  countNotIn(other: Bitmap): number {
    let n = 0;
    const a = this.bytes;
    const b = other.bytes;
    for (let i = 0; i < a.length; i++) n += POPCOUNT[a[i]! & ~(i < b.length ? b[i]! : 0) & 0xff]!;
    return n;
  }

  /** A bitmap with bits 0..n-1 set. */
  static firstN(n: number): Bitmap {
    const bitmap = new Bitmap(new Uint8Array(Math.max(16, Math.ceil(n / 8))));
    for (let i = 0; i < n; i++) bitmap.set(i);
    return bitmap;
  }

  toBytes(): Uint8Array {
    return this.bytes;
  }
}

const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

export interface DeliveryCounts {
  /** Distinct expected events that arrived. */
  delivered: number;
  /** Expected events that never arrived. */
  missing: number;
  /** Arrivals of an event already seen on that socket. */
  duplicates: number;
  /** Events that arrived but were not announced as published (a POST that failed on our side, say). */
  unexpected: number;
}

/** One socket's view of one organization's event streams (one stream per event type). */
export class SocketDelivery {
  private readonly seen: Bitmap[];
  duplicates = 0;

  constructor(types: number) {
    this.seen = Array.from({ length: types }, () => new Bitmap());
  }

  /** Records an arrival; false when it is a duplicate. */
  receive(type: number, seq: number): boolean {
    const bitmap = this.seen[type];
    if (bitmap === undefined) return false;
    const fresh = bitmap.set(seq);
    if (!fresh) this.duplicates++;
    return fresh;
  }

  /** Compares with what was published to the socket's organization, per event type. */
  settle(expected: readonly Bitmap[]): DeliveryCounts {
    const counts: DeliveryCounts = { delivered: 0, missing: 0, duplicates: this.duplicates, unexpected: 0 };
    this.seen.forEach((seen, type) => {
      const wanted = expected[type] ?? new Bitmap();
      const total = wanted.count();
      const missing = wanted.countNotIn(seen);
      counts.missing += missing;
      counts.delivered += total - missing;
      counts.unexpected += seen.countNotIn(wanted);
    });
    return counts;
  }
}

export function addCounts(a: DeliveryCounts, b: DeliveryCounts): DeliveryCounts {
  return {
    delivered: a.delivered + b.delivered,
    missing: a.missing + b.missing,
    duplicates: a.duplicates + b.duplicates,
    unexpected: a.unexpected + b.unexpected,
  };
}
