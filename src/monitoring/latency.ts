/**
 * A fixed-bucket latency histogram: constant memory per route and minute however many requests
 * arrive, mergeable across minutes, percentiles accurate to one bucket (about 10 %).
 */
const GROWTH = 1.1;
const MIN_MS = 0.05;
/** Bucket i holds durations in [MIN_MS * GROWTH^(i-1), MIN_MS * GROWTH^i); bucket 0 is below MIN_MS. */
export const BUCKET_COUNT = 160; // MIN_MS * 1.1^159 ≈ 200 s: anything slower lands in the last bucket

export function bucketOf(ms: number): number {
  if (!(ms >= MIN_MS)) return 0;
  return Math.min(BUCKET_COUNT - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
}

/** The upper edge of a bucket, reported as the percentile value (a conservative estimate). */
export function bucketUpperMs(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKET_COUNT);
  total = 0;

  add(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.total++;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  /** q in [0, 1]; null when empty. */
  percentile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.round(bucketUpperMs(i) * 100) / 100;
    }
    return Math.round(bucketUpperMs(BUCKET_COUNT - 1) * 100) / 100;
  }
}
