// A log-linear latency histogram (the HdrHistogram idea, kept small): values are integer
// microseconds; below 256 µs every value has its own bucket, above it each power of two is split
// into 128 buckets, so a reported value is within 0.4% of the true one. Histograms from several
// worker processes merge by adding their counts.

const SUB_BUCKETS = 128; // per power of two above the exact range
const EXACT = 2 * SUB_BUCKETS; // values 0..255 are exact
const MAX_EXPONENT = 30; // up to 2^37 µs (about 38 hours): anything larger is clamped
export const HISTOGRAM_BUCKETS = EXACT + MAX_EXPONENT * SUB_BUCKETS;

export function bucketIndex(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < EXACT) return v;
  const exponent = Math.min(MAX_EXPONENT, Math.floor(Math.log2(v)) - 7);
  const shifted = Math.min(2 * SUB_BUCKETS - 1, Math.floor(v / 2 ** exponent));
  return EXACT + (exponent - 1) * SUB_BUCKETS + (shifted - SUB_BUCKETS);
}

/** The lowest value and the width of a bucket. */
export function bucketRange(index: number): { low: number; width: number } {
  if (index < EXACT) return { low: index, width: 1 };
  const exponent = Math.floor((index - EXACT) / SUB_BUCKETS) + 1;
  const sub = (index - EXACT) % SUB_BUCKETS;
  return { low: (SUB_BUCKETS + sub) * 2 ** exponent, width: 2 ** exponent };
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  sum = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(HISTOGRAM_BUCKETS);
  }

  record(value: number): void {
    const v = value < 0 ? 0 : value;
    this.counts[bucketIndex(v)]! += 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram | HistogramData): void {
    const counts = other.counts;
    for (let i = 0; i < counts.length; i++) this.counts[i]! += counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  /**
   * The value at or below which `percent` of the recorded values lie (nearest rank): the midpoint
   * of the bucket holding that rank, clamped to the exact min and max. NaN when empty.
   */
  percentile(percent: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const { low, width } = bucketRange(i);
        const mid = width === 1 ? low : low + width / 2;
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      min: this.count === 0 ? Number.NaN : this.min,
      mean: this.count === 0 ? Number.NaN : this.sum / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.count === 0 ? Number.NaN : this.max,
    };
  }

  /** Points of the cumulative distribution: (bucket upper value, fraction at or below it). */
  cdf(): Array<[number, number]> {
    const points: Array<[number, number]> = [];
    if (this.count === 0) return points;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      seen += c;
      const { low, width } = bucketRange(i);
      points.push([Math.min(this.max, low + width - (width === 1 ? 0 : 1)), seen / this.count]);
    }
    return points;
  }

  toData(): HistogramData {
    return { counts: this.counts, count: this.count, min: this.min, max: this.max, sum: this.sum };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}

/** What crosses process boundaries (structured clone keeps the typed array). */
export interface HistogramData {
  counts: Uint32Array;
  count: number;
  min: number;
  max: number;
  sum: number;
}
