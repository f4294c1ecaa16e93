import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS_BANK_FILE, parseBankDataset } from '../simulator/dataset.js';
import { BATCH_SIZE_BUCKETS, ladder, ROUTE_DECISION_BUCKETS, TIMER_LATENESS_BUCKETS, waitBuckets } from './metric-buckets.js';

/**
 * Prometheus' `histogram_quantile` (promql/quantile.go, `bucketQuantile`, as of 2.42): finds the first bucket whose
 * cumulative count reaches q · total and interpolates linearly inside it from the bucket below's bound (0 for the
 * first bucket); a quantile in the +Inf bucket is the highest finite bound; one in a first bucket whose bound is
 * ≤ 0 is that bound.
 */
function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number {
  const b = [...buckets].sort((x, y) => x.le - y.le);
  if (b.length < 2 || b.at(-1)!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = b.at(-1)!.count;
  if (total === 0) return Number.NaN;
  let rank = q * total;
  let i = b.findIndex((x) => x.count >= rank);
  if (i === -1) i = b.length - 1;
  if (i === b.length - 1) return b[b.length - 2]!.le;
  if (i === 0 && b[0]!.le <= 0) return b[0]!.le;
  let start = 0;
  let count = b[i]!.count;
  if (i > 0) {
    start = b[i - 1]!.le;
    count -= b[i - 1]!.count;
    rank -= b[i - 1]!.count;
  }
  return start + (b[i]!.le - start) * (rank / count);
}

/** The cumulative buckets prom-client exposes after observing `sample` into a histogram with `layout`. */
async function observed(layout: readonly number[], sample: readonly number[]): Promise<{ le: number; count: number }[]> {
  const h = new Histogram({ name: 'sample', help: 'sample', buckets: [...layout], registers: [] });
  for (const x of sample) h.observe(x);
  return (await h.get()).values
    .filter((v) => v.metricName === 'sample_bucket')
    .map((v) => ({ le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), count: v.value }));
}

/** The sample's true q-quantile (nearest rank, as a summary would say). */
function trueQuantile(sample: readonly number[], q: number): number {
  const s = [...sample].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** A seeded uniform [0, 1) (mulberry32), so every run draws the same sample. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` draws from a distribution given by measured quantiles (`[q, value]`, q from 0 to 1), interpolated between
 * them (log-linearly when both ends are positive): the measured distribution, in a form a test can hold.
 */
function fromQuantiles(table: readonly (readonly [number, number])[], n: number, seed = 1): number[] {
  const u = seeded(seed);
  return Array.from({ length: n }, () => {
    const p = u();
    const i = table.findIndex(([q]) => q >= p);
    const [q0, v0] = table[Math.max(0, i - 1)]!;
    const [q1, v1] = table[i]!;
    const f = q1 === q0 ? 0 : (p - q0) / (q1 - q0);
    return v0 > 0 && v1 > 0 ? v0 * (v1 / v0) ** f : v0 + (v1 - v0) * f;
  });
}

/** Each `q` read from the histogram with `layout` is within 10 % of the sample's own q-quantile. */
async function expectQuantiles(layout: readonly number[], sample: readonly number[], qs: readonly number[]): Promise<void> {
  const buckets = await observed(layout, sample);
  for (const q of qs) {
    const truth = trueQuantile(sample, q);
    const read = histogramQuantile(q, buckets);
    expect(Math.abs(read - truth), `p${q * 100}: read ${read}, true ${truth}`).toBeLessThanOrEqual(0.1 * Math.abs(truth));
  }
}

/** Route decision time, seconds, measured by bench/metrics/distributions.ts: one call per millisecond, as a router calls. */
const SPACED_DECISIONS: readonly (readonly [number, number])[] = [
  [0, 1.53e-6],
  [0.01, 2.39e-6],
  [0.1, 3.5e-6],
  [0.5, 5.74e-6],
  [0.9, 8.93e-6],
  [0.99, 2.91e-5],
  [0.999, 5.41e-5],
  [1, 1.05e-4],
];

describe('histogramQuantile (the estimator the checks below use)', () => {
  it('reads as Prometheus does: interpolation from 0 in the first bucket, the highest bound past it, 0 for a bound at 0', () => {
    const b = [
      { le: 1, count: 10 },
      { le: 2, count: 10 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ];
    expect(histogramQuantile(0.5, b)).toBe(0.5);
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.99);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: 2, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ]),
    ).toBe(2);
    expect(
      histogramQuantile(0.5, [
        { le: 0, count: 3 },
        { le: 1, count: 4 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ]),
    ).toBe(0);
    expect(
      histogramQuantile(0.9, [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ).toBeNaN();
  });

  it('fails a layout that misses the values (the old route-decision layout on measured decisions)', async () => {
    const old = [1e-7, 2.5e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 1e-4, 1e-3];
    const sample = fromQuantiles(SPACED_DECISIONS, 20_000);
    const buckets = await observed(old, sample);
    // p99 (29 µs) falls in the 10–100 µs bucket: interpolated across a decade, it is far off.
    expect(Math.abs(histogramQuantile(0.99, buckets) - trueQuantile(sample, 0.99))).toBeGreaterThan(0.1 * trueQuantile(sample, 0.99));
    await expect(expectQuantiles(old, sample, [0.99])).rejects.toThrow(/p99/);
  });
});

describe('bucket layouts read the measured distributions within 10 % at the quantiles the panels show', () => {
  it('ladder: 1-1.5-2-3-5-7.5 per decade, inclusive, without float noise', () => {
    expect(ladder(1, 10)).toEqual([1, 1.5, 2, 3, 5, 7.5, 10]);
    expect(ladder(2e-7, 1e-6)).toEqual([2e-7, 3e-7, 5e-7, 7.5e-7, 1e-6]);
    expect(ROUTE_DECISION_BUCKETS[0]).toBe(2e-7);
    expect(ROUTE_DECISION_BUCKETS.at(-1)).toBe(0.01);
  });

  // Measured by bench/metrics/distributions.ts (quantiles in seconds); the panel shows p50 and p99.
  it('route decision time: spaced calls as a router makes them, and the demo range of 10 µs–1 ms', async () => {
    const spaced = fromQuantiles(SPACED_DECISIONS, 20_000);
    await expectQuantiles(ROUTE_DECISION_BUCKETS, spaced, [0.5, 0.99]);
    await expectQuantiles(
      ROUTE_DECISION_BUCKETS,
      fromQuantiles(
        [
          [0, 1e-5],
          [1, 1e-3],
        ],
        20_000,
        2,
      ),
      [0.5, 0.99],
    );
  });

  it('batch sizes: batches of exactly one (the in-process bus) and Kafka fetches of tens to thousands', async () => {
    await expectQuantiles(BATCH_SIZE_BUCKETS, Array(5_000).fill(1), [0.5, 0.99]);
    const kafka = fromQuantiles(
      [
        [0, 1],
        [0.1, 40],
        [0.5, 400],
        [0.9, 3_000],
        [1, 12_000],
      ],
      20_000,
    ).map(Math.round);
    await expectQuantiles(BATCH_SIZE_BUCKETS, kafka, [0.5, 0.99]);
  });

  it('SLA timer lateness: mostly on the due millisecond, a tail to under a second', async () => {
    // 2,000 timers due over 8 s on the system clock: 63 % exactly 0 ms, p90 13 ms, p99 730 ms, max 801 ms.
    const measured = fromQuantiles(
      [
        [0, 0],
        [0.63, 0],
        [0.82, 0.001],
        [0.85, 0.002],
        [0.9, 0.013],
        [0.99, 0.73],
        [0.999, 0.784],
        [1, 0.801],
      ],
      20_000,
    ).map((s) => Math.round(s * 1000) / 1000);
    await expectQuantiles(TIMER_LATENESS_BUCKETS, measured, [0.5, 0.99]);
    // A quiet workflow: every timer on time reads 0, not 5–9.9 ms.
    await expectQuantiles(TIMER_LATENESS_BUCKETS, Array(1_000).fill(0), [0.5, 0.99]);
  });

  const bank = process.env.SLUICE_BANK_FILE ?? fileURLToPath(ANONYMOUS_BANK_FILE);
  // The "Anonymous Bank" call records (Israel, October 1999; Guedj and Mandelbaum, Technion): the waits of calls
  // that queued, whole seconds as recorded; the panel shows p50 and p90 of answered calls.
  it('queue waits of the Anonymous Bank calls, answered and abandoned, with T 20 s and 5 s short abandons', async () => {
    const calls = parseBankDataset(readFileSync(bank, 'utf8')).calls;
    const waits = (o: 'AGENT' | 'HANG') => calls.filter((c) => c.outcome === o && c.queue !== null).map((c) => c.queue!.sec);
    expect(waits('AGENT').length).toBeGreaterThan(9_000);
    await expectQuantiles(waitBuckets(20, 5), waits('AGENT'), [0.5, 0.9, 0.99]);
    await expectQuantiles(waitBuckets(20, 5), waits('HANG'), [0.5, 0.9]);
  });
});
