/**
 * Histogram bucket layouts of Sluice's metrics, each chosen from a measured distribution
 * (`bench/metrics/distributions.ts` measures them; `app/metric-buckets.test.ts` checks that Prometheus'
 * `histogram_quantile` read from each layout lands within 10 % of the true quantile the panels show).
 *
 * `histogram_quantile` interpolates linearly inside the bucket a quantile falls in, from the bucket below's
 * bound (0 for the first bucket) to its own: so a layout must be fine where the values are, and a mass of
 * values sitting on one number (batches of exactly one, timers exactly on time) needs a bound just under it
 * — or, for 0, a bound at 0, which `histogram_quantile` answers exactly.
 */

/**
 * Route decision time, seconds (`sluice_route_decision_duration_seconds`): 200 ns to 10 ms on a 1-1.5-2-3-5-7.5
 * ladder (ratio ≤ 1.5). Measured: 0.6–5 µs (p1–p99) in a tight loop, 2.4–29 µs spaced a millisecond apart as a
 * router calls it, 10 µs–1 ms in the demo (issue 20) — the old layout stopped at 1 ms and was coarse above 10 µs.
 */
export const ROUTE_DECISION_BUCKETS: readonly number[] = ladder(2e-7, 1e-2);

/**
 * Messages per consumed batch (`sluice_pipeline_batch_size`): whole numbers ≥ 1. The in-process bus hands the
 * worker one message per batch, so the bound 0.99 closes the bucket of single-message batches from below (they
 * read 0.995–0.9999, not 0.5–0.99 interpolated from 0); above, the 1-1.5-2-3-5-7.5 ladder up to 50,000 (a 4 MiB
 * Kafka fetch holds ten thousand and more). The 1-2-5 ladder (ratio 2.5) read a p99 of 10,340 as 11,632.
 */
export const BATCH_SIZE_BUCKETS: readonly number[] = [0.99, ...ladder(1, 50_000)];

/**
 * SLA timer lateness, seconds (`sluice_sla_timer_lateness_seconds`): a bound at 0, because most timers fire on
 * their due millisecond (measured: 63 % exactly 0, p90 13 ms, p99 0.73 s with 2,000 timers due over 8 s), then
 * 1 ms to 5 s on a 1-2-5 ladder with 0.75 between 0.5 and 1, and 10 s to an hour for timers that fell due while
 * no instance ran. The old layout started at 10 ms: on-time timers read 5–9.9 ms.
 */
export const TIMER_LATENESS_BUCKETS: readonly number[] = [
  0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 300, 900, 3600,
];

/**
 * Queue waits, seconds (`sluice_queue_wait_seconds`): 1 s to 30 min at ratios ≤ 2 on numbers a supervisor reads
 * (15 s, 45 s, 2 min, 7 min, …), plus the short-abandon and service-level thresholds. Measured on the "Anonymous
 * Bank" call records (Israel, October 1999; Guedj and Mandelbaum, Technion): answered calls that queued waited
 * 2 s–29 min, p50 44 s, p90 168 s, p99 393 s; abandoned ones 0 s–32 min, p50 49 s, p90 175 s.
 */
export function waitBuckets(serviceLevelSeconds: number, shortAbandonSeconds: number): number[] {
  const base = [1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800];
  const bounds = new Set([...base, shortAbandonSeconds, serviceLevelSeconds]);
  return [...bounds].filter((b) => Number.isFinite(b) && b > 0).sort((a, b) => a - b);
}

/** 1, 1.5, 2, 3, 5, 7.5 times each power of ten from `from` to `to` (inclusive), rounded to 3 significant digits. */
export function ladder(from: number, to: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(from)); e <= Math.ceil(Math.log10(to)); e++)
    for (const m of [1, 1.5, 2, 3, 5, 7.5]) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v >= from * (1 - 1e-9) && v <= to * (1 + 1e-9)) out.push(v);
    }
  return out;
}
