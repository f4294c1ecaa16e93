/**
 * From raw signals to one pressure score in [0, 1] per scope.
 *
 * Each signal is first normalised to a component in [0, 1] (0 = no pressure,
 * 1 = saturated), with a documented rule and bounds from config:
 *
 * | component | rule |
 * | --- | --- |
 * | `waiting` | callsWaiting / waitingFull |
 * | `longestWait` | ramp(longestWaitMs, targetWaitMs, longestWaitFullMs): 0 up to the service-level target, 1 at `longestWaitFullMs` |
 * | `predictedWait` | predictedWaitMs / targetWaitMs |
 * | `agents` | 1 − availableAgents / agentsComfort (no free agent = 1) |
 * | `occupancy` | ramp(occupancy, occupancyLow, occupancyHigh) |
 * | `offered` | offeredPerMin (EWMA) / offeredFullPerMin |
 * | `trunk` | ramp(trunkUtilisation, trunkLow, trunkHigh) |
 * | `cti` | max(1 − ctiAvailable, ramp(ctiLatencyMs, ctiLatencyLowMs, ctiLatencyHighMs)) |
 * | `engine` | max of the ramps of event-loop lag, consumer lag and insert latency |
 *
 * where ramp(x, lo, hi) = clamp((x − lo) / (hi − lo), 0, 1) and every ratio is
 * clamped to [0, 1]. The score is the weighted mean of the components present
 * (a missing or non-finite signal is left out, and so is its weight), raised to
 * the value of any *dominant* component: by default `cti`, because a CTI failure
 * is an overload by itself whatever the queues look like.
 */
import { checkNumber, configError, controlError, resolveConfig } from '../errors.js';

/** Raw signals for one scope at one tick. Optional fields may be missing. */
export interface Signals {
  /** Calls waiting in queue now. */
  readonly callsWaiting: number;
  /** Longest current wait, ms. */
  readonly longestWaitMs: number;
  /** Predicted wait for a caller arriving now, ms. */
  readonly predictedWaitMs?: number;
  /** Agents in the AVAILABLE state. */
  readonly availableAgents: number;
  /** Agent occupancy, 0..1. */
  readonly occupancy?: number;
  /** Offered-call rate (EWMA), calls per minute. */
  readonly offeredPerMin?: number;
  /** Trunk / line utilisation, 0..1. */
  readonly trunkUtilisation?: number;
  /** Share of the scope's CTI nodes whose breaker admits traffic, 0..1. */
  readonly ctiAvailable?: number;
  /** CTI request latency (e.g. p99), ms. */
  readonly ctiLatencyMs?: number;
  /** Engine: event-loop lag, ms. */
  readonly eventLoopLagMs?: number;
  /** Engine: stream consumer lag, messages. */
  readonly consumerLag?: number;
  /** Engine: ClickHouse insert latency, ms. */
  readonly insertLatencyMs?: number;
}

/** Names of the normalised components. */
export const COMPONENTS = ['waiting', 'longestWait', 'predictedWait', 'agents', 'occupancy', 'offered', 'trunk', 'cti', 'engine'] as const;

/** A normalised component name. */
export type Component = (typeof COMPONENTS)[number];

/** Normalisation bounds and weights. */
export interface PressureConfig {
  /** Calls waiting that count as full pressure. */
  readonly waitingFull: number;
  /** Service-level wait target, ms. */
  readonly targetWaitMs: number;
  /**
   * Longest current wait counted as full pressure, ms. A queue staffed for 80 % within the target lets a
   * fifth of its callers wait longer: a wait past the target is normal there, so pressure grows only
   * from the target up to this.
   */
  readonly longestWaitFullMs: number;
  /** Available agents at or above which agent scarcity is 0. */
  readonly agentsComfort: number;
  readonly occupancyLow: number;
  readonly occupancyHigh: number;
  /** Offered rate counted as full pressure, calls per minute (about the scope's capacity). */
  readonly offeredFullPerMin: number;
  readonly trunkLow: number;
  readonly trunkHigh: number;
  readonly ctiLatencyLowMs: number;
  readonly ctiLatencyHighMs: number;
  readonly loopLagLowMs: number;
  readonly loopLagHighMs: number;
  readonly consumerLagLow: number;
  readonly consumerLagHigh: number;
  readonly insertLatencyLowMs: number;
  readonly insertLatencyHighMs: number;
  /** Weight of each component in the mean (≥ 0). */
  readonly weights: Readonly<Record<Component, number>>;
  /** Components that on their own set a floor under the score. */
  readonly dominant: readonly Component[];
}

/** Defaults for a mid-sized skill group with a 20 s service-level target. */
export const DEFAULT_PRESSURE_CONFIG: PressureConfig = Object.freeze({
  waitingFull: 20,
  targetWaitMs: 20_000,
  longestWaitFullMs: 60_000,
  agentsComfort: 3,
  occupancyLow: 0.75,
  occupancyHigh: 0.95,
  offeredFullPerMin: 60,
  trunkLow: 0.7,
  trunkHigh: 0.95,
  ctiLatencyLowMs: 200,
  ctiLatencyHighMs: 2_000,
  loopLagLowMs: 50,
  loopLagHighMs: 500,
  consumerLagLow: 10_000,
  consumerLagHigh: 500_000,
  insertLatencyLowMs: 500,
  insertLatencyHighMs: 10_000,
  weights: Object.freeze({
    waiting: 2,
    longestWait: 3,
    predictedWait: 2,
    agents: 1,
    occupancy: 1,
    offered: 1,
    trunk: 1,
    cti: 2,
    engine: 1,
  }),
  dominant: Object.freeze(['cti'] as Component[]),
});

const PAIRS = [
  ['targetWaitMs', 'longestWaitFullMs'],
  ['occupancyLow', 'occupancyHigh'],
  ['trunkLow', 'trunkHigh'],
  ['ctiLatencyLowMs', 'ctiLatencyHighMs'],
  ['loopLagLowMs', 'loopLagHighMs'],
  ['consumerLagLow', 'consumerLagHigh'],
  ['insertLatencyLowMs', 'insertLatencyHighMs'],
] as const;

/**
 * Merges `partial` (weights merge key by key) over `base` (default: the built-in defaults) and validates.
 * @param section prefix for field names in messages, e.g. `tuning.pressure`
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field
 */
export function resolvePressureConfig(
  partial?: Partial<PressureConfig>,
  base: PressureConfig = DEFAULT_PRESSURE_CONFIG,
  section = 'pressure',
): PressureConfig {
  const positive = { gt: 0 };
  const c = resolveConfig(section, base, partial, {
    waitingFull: positive,
    targetWaitMs: positive,
    longestWaitFullMs: positive,
    agentsComfort: positive,
    offeredFullPerMin: positive,
    occupancyLow: { min: 0, max: 1 },
    occupancyHigh: { min: 0, max: 1 },
    trunkLow: { min: 0, max: 1 },
    trunkHigh: { min: 0, max: 1 },
    ctiLatencyLowMs: { min: 0 },
    ctiLatencyHighMs: { min: 0 },
    loopLagLowMs: { min: 0 },
    loopLagHighMs: { min: 0 },
    consumerLagLow: { min: 0 },
    consumerLagHigh: { min: 0 },
    insertLatencyLowMs: { min: 0 },
    insertLatencyHighMs: { min: 0 },
  });
  for (const [lo, hi] of PAIRS) if (!(c[hi] > c[lo])) configError(`${section}.${hi}`, `> ${section}.${lo} (${c[lo]})`, c[hi]);
  const weights = { ...base.weights, ...(partial?.weights ?? {}) };
  for (const key of Object.keys(weights)) {
    if (!(COMPONENTS as readonly string[]).includes(key)) configError(`${section}.weights.${key}`, 'a known component', key);
    checkNumber(`${section}.weights.${key}`, weights[key as Component], { min: 0 });
  }
  if (!Object.values(weights).some((w) => w > 0)) configError(`${section}.weights`, 'an object with at least one weight > 0', weights);
  if (!Array.isArray(c.dominant) || !c.dominant.every((d) => (COMPONENTS as readonly string[]).includes(d))) {
    configError(`${section}.dominant`, `a list of components among ${COMPONENTS.join(', ')}`, c.dominant);
  }
  return Object.freeze({ ...c, weights: Object.freeze(weights), dominant: Object.freeze([...c.dominant]) });
}

/**
 * The wait ramps for a service-level target of `serviceLevelMs`: pressure from the predicted wait
 * reaches 1 at the target, and from the longest wait grows from the target to three times it (the
 * defaults' 20 s → 60 s). A target of 0 counts as 1 ms (every wait is past it).
 */
export function waitTarget(serviceLevelMs: number): Pick<PressureConfig, 'targetWaitMs' | 'longestWaitFullMs'> {
  const t = Math.max(1, serviceLevelMs);
  return { targetWaitMs: t, longestWaitFullMs: 3 * t };
}

/** The score and what made it. */
export interface PressureReading {
  /** Pressure in [0, 1]. */
  readonly score: number;
  /** Normalised components; `undefined` where the signal was missing. */
  readonly components: Readonly<Partial<Record<Component, number>>>;
  /** Component contributing most (weight × value, or the dominant one that set the floor); null when none present. */
  readonly top: Component | null;
  /** Number of components present; 0 means "no signals" (callers keep the level unchanged). */
  readonly present: number;
}

const clamp01 = (x: number): number => (x <= 0 ? 0 : Math.min(x, 1));
const ok = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const ramp = (x: number, lo: number, hi: number): number => clamp01((x - lo) / (hi - lo));

/** Normalises `s` into components (see the module comment). */
export function normalise(s: Signals, c: PressureConfig): Partial<Record<Component, number>> {
  const out: Partial<Record<Component, number>> = {};
  if (ok(s.callsWaiting)) out.waiting = clamp01(s.callsWaiting / c.waitingFull);
  if (ok(s.longestWaitMs)) out.longestWait = ramp(s.longestWaitMs, c.targetWaitMs, c.longestWaitFullMs);
  if (ok(s.predictedWaitMs)) out.predictedWait = clamp01(s.predictedWaitMs / c.targetWaitMs);
  if (ok(s.availableAgents)) out.agents = 1 - clamp01(s.availableAgents / c.agentsComfort);
  if (ok(s.occupancy)) out.occupancy = ramp(s.occupancy, c.occupancyLow, c.occupancyHigh);
  if (ok(s.offeredPerMin)) out.offered = clamp01(s.offeredPerMin / c.offeredFullPerMin);
  if (ok(s.trunkUtilisation)) out.trunk = ramp(s.trunkUtilisation, c.trunkLow, c.trunkHigh);
  if (ok(s.ctiAvailable) || ok(s.ctiLatencyMs)) {
    out.cti = Math.max(
      ok(s.ctiAvailable) ? 1 - clamp01(s.ctiAvailable) : 0,
      ok(s.ctiLatencyMs) ? ramp(s.ctiLatencyMs, c.ctiLatencyLowMs, c.ctiLatencyHighMs) : 0,
    );
  }
  if (ok(s.eventLoopLagMs) || ok(s.consumerLag) || ok(s.insertLatencyMs)) {
    out.engine = Math.max(
      ok(s.eventLoopLagMs) ? ramp(s.eventLoopLagMs, c.loopLagLowMs, c.loopLagHighMs) : 0,
      ok(s.consumerLag) ? ramp(s.consumerLag, c.consumerLagLow, c.consumerLagHigh) : 0,
      ok(s.insertLatencyMs) ? ramp(s.insertLatencyMs, c.insertLatencyLowMs, c.insertLatencyHighMs) : 0,
    );
  }
  return out;
}

/** Pressure score for `s` under `c` (see the module comment). */
export function assessPressure(s: Signals, c: PressureConfig): PressureReading {
  if (typeof s !== 'object' || s === null) throw controlError('SLUICE_ERR_CONTROL_CONFIG_INVALID', 'signals must be an object');
  const components = normalise(s, c);
  let sum = 0;
  let weight = 0;
  let present = 0;
  let top: Component | null = null;
  let topContribution = -1;
  for (const name of COMPONENTS) {
    const v = components[name];
    if (v === undefined) continue;
    present += 1;
    const w = c.weights[name];
    sum += w * v;
    weight += w;
    if (w * v > topContribution) {
      topContribution = w * v;
      top = name;
    }
  }
  let score = weight > 0 ? sum / weight : 0;
  for (const d of c.dominant) {
    const v = components[d];
    if (v !== undefined && v > score) {
      score = v;
      top = d;
    }
  }
  return { score: clamp01(score), components, top, present };
}
