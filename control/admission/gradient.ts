/**
 * The adaptive concurrency limit as pure functions (Gradient2-style, after
 * Netflix concurrency-limits), with AIMD for the cases a gradient cannot see.
 *
 * - RTT sample: longRtt is an average over ~`longWindow` samples (a plain mean
 *   for the first 10). If the service is app-limited (in-flight < limit / 2)
 *   the limit stays. Otherwise gradient = clamp(tolerance · longRtt / rtt, 0.5, 1),
 *   and newLimit = limit · gradient + √limit (the queue allowance), smoothed:
 *   limit ← limit · (1 − smoothing) + newLimit · smoothing. When longRtt is more
 *   than twice the sample it decays by 5 %, so the baseline recovers after a
 *   long slow phase.
 * - Drop (timeout, overload answer): limit ← limit · backoffRatio (AIMD decrease).
 * - Success without a usable RTT: limit + 1 when in-flight ≥ limit / 2 (AIMD increase).
 * The limit is always clamped to [minLimit, maxLimit].
 */
import { configError, resolveConfig } from '../errors.js';

/** Limit-algorithm options. */
export interface LimitConfig {
  /** Starting limit, calls in flight. */
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Weight of a new estimate, (0, 1]. */
  readonly smoothing: number;
  /** RTT growth tolerated before the limit shrinks (≥ 1). */
  readonly rttTolerance: number;
  /** Samples in the long-RTT average. */
  readonly longWindow: number;
  /** AIMD decrease factor on a drop, (0, 1). */
  readonly backoffRatio: number;
}

/** Defaults. */
export const DEFAULT_LIMIT_CONFIG: LimitConfig = Object.freeze({
  initialLimit: 20,
  minLimit: 4,
  maxLimit: 500,
  smoothing: 0.2,
  rttTolerance: 1.5,
  longWindow: 600,
  backoffRatio: 0.9,
});

/**
 * Validates limit options.
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field
 */
export function resolveLimitConfig(partial?: Partial<LimitConfig>, section = 'limiter'): LimitConfig {
  const c = resolveConfig(section, DEFAULT_LIMIT_CONFIG, partial, {
    initialLimit: { min: 1 },
    minLimit: { int: true, min: 1 },
    maxLimit: { int: true, min: 1 },
    smoothing: { gt: 0, max: 1 },
    rttTolerance: { min: 1 },
    longWindow: { int: true, min: 1 },
    backoffRatio: { gt: 0, lt: 1 },
  });
  if (c.maxLimit < c.minLimit) configError(`${section}.maxLimit`, `≥ ${section}.minLimit (${c.minLimit})`, c.maxLimit);
  if (c.initialLimit < c.minLimit || c.initialLimit > c.maxLimit)
    configError(`${section}.initialLimit`, `within [minLimit, maxLimit]`, c.initialLimit);
  return c;
}

/** Limit state; plain and serialisable. */
export interface LimitState {
  /** Current limit (fractional; callers floor it). */
  readonly limit: number;
  /** Long-term RTT average, ms (0 before the first sample). */
  readonly longRtt: number;
  /** RTT samples seen (capped). */
  readonly samples: number;
}

const WARMUP_SAMPLES = 10;

/** Initial state. */
export function initialLimitState(cfg: LimitConfig): LimitState {
  return { limit: cfg.initialLimit, longRtt: 0, samples: 0 };
}

const clampLimit = (x: number, cfg: LimitConfig): number => Math.max(cfg.minLimit, Math.min(cfg.maxLimit, x));

/**
 * Gradient2 update from one RTT sample.
 * @param rttMs measured round-trip time, ms (> 0)
 * @param inflight calls in flight when the sample was taken
 */
export function onRttSample(s: LimitState, rttMs: number, inflight: number, cfg: LimitConfig): LimitState {
  if (!(rttMs > 0) || !Number.isFinite(rttMs)) return onSuccessWithoutRtt(s, inflight, cfg);
  let longRtt =
    s.samples < WARMUP_SAMPLES
      ? (s.longRtt * s.samples + rttMs) / (s.samples + 1)
      : s.longRtt + (rttMs - s.longRtt) * (2 / (cfg.longWindow + 1));
  if (longRtt / rttMs > 2) longRtt *= 0.95;
  const samples = Math.min(s.samples + 1, 1_000_000);
  if (inflight < s.limit / 2) return { limit: s.limit, longRtt, samples };
  const gradient = Math.max(0.5, Math.min(1, (cfg.rttTolerance * longRtt) / rttMs));
  const estimate = s.limit * gradient + Math.sqrt(s.limit);
  const limit = clampLimit(s.limit * (1 - cfg.smoothing) + estimate * cfg.smoothing, cfg);
  return { limit, longRtt, samples };
}

/** AIMD decrease after a drop (timeout or an overload answer). */
export function onDropSample(s: LimitState, cfg: LimitConfig): LimitState {
  return { ...s, limit: clampLimit(s.limit * cfg.backoffRatio, cfg) };
}

/** AIMD increase after a success whose RTT is unknown. */
export function onSuccessWithoutRtt(s: LimitState, inflight: number, cfg: LimitConfig): LimitState {
  return inflight * 2 >= s.limit ? { ...s, limit: clampLimit(s.limit + 1, cfg) } : s;
}
