/**
 * A fixed log-bucket latency histogram: bucket 0 holds [0, 1) ms, then four
 * buckets per doubling from 1 ms up to 2^17 ms (≈ 131 s), then one overflow
 * bucket. Relative bucket width is 2^(1/4) − 1 ≈ 19 %, enough to tell a healthy
 * CTI (tens of ms) from a struggling one (seconds) while the memory per window
 * bucket stays a fixed 70 counters, whatever the call volume.
 */

/** Buckets per doubling of latency. */
export const SUB_BUCKETS = 4;

/** Number of buckets, underflow and overflow included. */
export const HISTOGRAM_SIZE = 2 + 17 * SUB_BUCKETS;

const OVERFLOW = HISTOGRAM_SIZE - 1;

/** Lower bound (ms) of the overflow bucket. */
export const OVERFLOW_MS = 2 ** 17;

/**
 * The bucket a latency falls in.
 * @param ms latency in milliseconds; negative or NaN counts as 0 ms
 */
export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  const i = 1 + Math.floor(Math.log2(ms) * SUB_BUCKETS);
  return Math.min(i, OVERFLOW);
}

/**
 * Upper bound (ms, exclusive) of bucket `i`; for the overflow bucket this is
 * its lower bound {@link OVERFLOW_MS}, read it as "at least".
 */
export function bucketUpperMs(i: number): number {
  if (i <= 0) return 1;
  if (i >= OVERFLOW) return OVERFLOW_MS;
  return 2 ** (i / SUB_BUCKETS);
}

/**
 * Latency at quantile `q` of the counts in `hist[offset … offset+HISTOGRAM_SIZE)`,
 * reported as the upper bound of the bucket that holds it (so within +19 %).
 * @param q quantile in [0, 1]
 * @returns milliseconds, or 0 when the histogram is empty
 */
export function histogramQuantile(hist: ArrayLike<number>, q: number, offset = 0): number {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_SIZE; i++) total += hist[offset + i] ?? 0;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * total));
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_SIZE; i++) {
    seen += hist[offset + i] ?? 0;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return OVERFLOW_MS;
}
