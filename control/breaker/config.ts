/**
 * Circuit-breaker options, their defaults and their validation.
 */
import { configError, resolveConfig } from '../errors.js';

/** Options of one circuit breaker. All durations in milliseconds. */
export interface BreakerConfig {
  /** Length of the sliding window of call outcomes, ms. */
  readonly windowMs: number;
  /** Buckets in the window ring; `windowMs` must be a multiple of it. */
  readonly buckets: number;
  /** Ratio rules apply only once the window holds at least this many calls. */
  readonly minCalls: number;
  /** Open when errors / calls ≥ this (0, 1]. */
  readonly errorRatio: number;
  /** Open when slow calls / calls ≥ this (0, 1]. */
  readonly slowRatio: number;
  /** A call at least this slow counts as slow, ms; a half-open probe this slow counts as failed. */
  readonly slowCallMs: number;
  /** Low-volume rule: below `minCalls`, open once the window holds this many errors; 0 disables it. */
  readonly errorCount: number;
  /**
   * Streak rule: below `minCalls`, open once this many calls in a row failed (no success between them,
   * each failure within `windowMs` of the previous one), however thinly they are spread over the window;
   * 0 disables it. This is what trips a node that stops answering while a concurrency limiter lets only
   * a few calls a window reach it.
   */
  readonly failureStreak: number;
  /** Open duration after the first trip, ms (k = 1). */
  readonly openBaseMs: number;
  /** Cap on the open duration, ms. */
  readonly openMaxMs: number;
  /** Jitter fraction in [0, 1): the open duration is shortened by up to this fraction, never lengthened past the cap. */
  readonly jitter: number;
  /** Each interval of this length spent closed lowers the escalation step k by one, ms. */
  readonly healthyIntervalMs: number;
  /** Probes a half-open trial admits (fleet-wide when the probe budget is shared). */
  readonly probes: number;
  /** Successful probes that close the breaker; ≤ `probes`. */
  readonly probeSuccesses: number;
  /** Longest a half-open trial may last before it is decided anyway, ms. */
  readonly halfOpenMaxMs: number;
  /** Longest an operator may force a state, ms. */
  readonly maxForceMs: number;
}

/** Defaults: a 10 s window of ten 1 s buckets; trip at 50 % errors or 50 % slow (≥ 2 s) over ≥ 20 calls, or 5 errors (or 5 failures in a row) when quieter. */
export const DEFAULT_BREAKER_CONFIG: BreakerConfig = Object.freeze({
  windowMs: 10_000,
  buckets: 10,
  minCalls: 20,
  errorRatio: 0.5,
  slowRatio: 0.5,
  slowCallMs: 2_000,
  errorCount: 5,
  failureStreak: 5,
  openBaseMs: 5_000,
  openMaxMs: 120_000,
  jitter: 0.2,
  healthyIntervalMs: 60_000,
  probes: 5,
  probeSuccesses: 3,
  halfOpenMaxMs: 30_000,
  maxForceMs: 24 * 3_600_000,
});

/**
 * Merges `partial` over the defaults and validates the result.
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field, e.g. "breaker.probeSuccesses must be ≤ probes"
 */
export function resolveBreakerConfig(partial?: Partial<BreakerConfig>): BreakerConfig {
  const c = resolveConfig('breaker', DEFAULT_BREAKER_CONFIG, partial, {
    windowMs: { int: true, min: 1 },
    buckets: { int: true, min: 1, max: 1000 },
    minCalls: { int: true, min: 1 },
    errorRatio: { gt: 0, max: 1 },
    slowRatio: { gt: 0, max: 1 },
    slowCallMs: { gt: 0 },
    errorCount: { int: true, min: 0 },
    failureStreak: { int: true, min: 0 },
    openBaseMs: { int: true, min: 1 },
    openMaxMs: { int: true, min: 1 },
    jitter: { min: 0, lt: 1 },
    healthyIntervalMs: { int: true, min: 1 },
    probes: { int: true, min: 1 },
    probeSuccesses: { int: true, min: 1 },
    halfOpenMaxMs: { int: true, min: 1 },
    maxForceMs: { int: true, min: 1 },
  });
  if (c.windowMs % c.buckets !== 0) configError('breaker.windowMs', `a multiple of breaker.buckets (${c.buckets})`, c.windowMs);
  if (c.openMaxMs < c.openBaseMs) configError('breaker.openMaxMs', `≥ breaker.openBaseMs (${c.openBaseMs})`, c.openMaxMs);
  if (c.probeSuccesses > c.probes) configError('breaker.probeSuccesses', `≤ breaker.probes (${c.probes})`, c.probeSuccesses);
  return c;
}
