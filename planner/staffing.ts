/**
 * Staffing searches over the Erlang models of `erlang.ts`: the smallest
 * agent count meeting a service-level and/or ASA target, raised by an
 * occupancy cap, then grossed up for shrinkage. Each search gallops up and
 * then bisects, relying on the monotonicity in N that M/M/N and M/M/N+M have
 * (service level rises, ASA and occupancy fall as agents are added).
 *
 * Units: calls per hour, seconds, fractions.
 */
import { StateSpaceError, erlangAMetrics, erlangCMetrics, trafficErlangs } from './erlang.js';
import type { ErlangAMetrics, QueueMetrics, Workload } from './erlang.js';

/** What a staffing level must achieve. At least one of `serviceLevel` and `asaSeconds` is required; when both are set both must hold. */
export interface StaffingTarget {
  /** Required service level, fraction in (0, 1): share of calls answered within `targetTimeSeconds`. */
  readonly serviceLevel?: number;
  /** Answer-time threshold t of the service level, seconds (≥ 0). */
  readonly targetTimeSeconds: number;
  /** Required average speed of answer, seconds (> 0). */
  readonly asaSeconds?: number;
  /** Occupancy cap, fraction in (0, 1]; absent means no cap. */
  readonly maxOccupancy?: number;
  /** Shrinkage (share of paid time not available for calls), fraction in [0, 1); absent means 0. */
  readonly shrinkage?: number;
}

/** A staffing level and the performance it gives. */
export interface StaffingPlan<M extends QueueMetrics = QueueMetrics> {
  /** Agents needed on the phones, N. */
  readonly agents: number;
  /** Agents to schedule: ⌈N / (1 − shrinkage)⌉. */
  readonly scheduledAgents: number;
  /** Performance at N agents. */
  readonly metrics: M;
}

/** Relative slack for float noise in ceilings and target comparisons (14 / 0.7 is 20.000000000000004). */
const EPSILON = 1e-9;

/**
 * ⌈x⌉ that ignores float noise just above an integer.
 * @param x a finite number
 */
export function ceilTolerant(x: number): number {
  return Math.ceil(x - EPSILON * Math.max(1, Math.abs(x)));
}

/**
 * Agents to schedule for N productive agents: ⌈N / (1 − shrinkage)⌉.
 * @param agents productive agents N
 * @param shrinkage fraction of scheduled time lost to breaks, training, absence…, in [0, 1)
 */
export function scheduledAgents(agents: number, shrinkage = 0): number {
  if (!(shrinkage >= 0 && shrinkage < 1)) throw new RangeError(`shrinkage must be in [0, 1), got ${shrinkage}`);
  return ceilTolerant(agents / (1 - shrinkage));
}

function checkTarget(target: StaffingTarget): void {
  const { serviceLevel, asaSeconds, maxOccupancy, targetTimeSeconds } = target;
  if (serviceLevel === undefined && asaSeconds === undefined) throw new RangeError('a service-level or an ASA target is required');
  if (serviceLevel !== undefined && !(serviceLevel > 0 && serviceLevel < 1))
    throw new RangeError(`serviceLevel must be in (0, 1), got ${serviceLevel}`);
  if (asaSeconds !== undefined && !(asaSeconds > 0)) throw new RangeError(`asaSeconds must be > 0, got ${asaSeconds}`);
  if (maxOccupancy !== undefined && !(maxOccupancy > 0 && maxOccupancy <= 1))
    throw new RangeError(`maxOccupancy must be in (0, 1], got ${maxOccupancy}`);
  if (!(targetTimeSeconds >= 0 && Number.isFinite(targetTimeSeconds)))
    throw new RangeError(`targetTimeSeconds must be ≥ 0, got ${targetTimeSeconds}`);
}

function meets(m: QueueMetrics, target: StaffingTarget): boolean {
  if (target.serviceLevel !== undefined && m.serviceLevel < target.serviceLevel - EPSILON) return false;
  if (target.asaSeconds !== undefined && m.asa > target.asaSeconds * (1 + EPSILON)) return false;
  return true;
}

/** A generous ceiling on the search: far beyond any level a feasible target needs. */
function searchLimit(traffic: number): number {
  return Math.ceil(traffic + 50 * Math.sqrt(traffic) + 100);
}

/** No agent count up to the search limit meets the target (only absurd targets, such as an ASA of 1e-300 s, get here). */
export class InfeasibleTargetError extends RangeError {
  override readonly name = 'InfeasibleTargetError';
  /** @param limit the largest agent count tried */
  constructor(readonly limit: number) {
    super(`no staffing level up to ${limit} agents meets the target`);
  }
}

/**
 * The smallest n in [from, limit] whose metrics pass `ok` (`evaluate` returning
 * undefined counts as a miss). It relies on the pass/fail outcome being monotone
 * in n — as it is for M/M/N and M/M/N+M, where service level rises and ASA and
 * occupancy fall with every added agent — and finds the boundary by galloping
 * up from `from` and then bisecting: O(log n) evaluations instead of O(n).
 */
function firstPassing<M extends QueueMetrics>(
  from: number,
  limit: number,
  evaluate: (n: number) => M | undefined,
  ok: (m: M) => boolean,
): M {
  const passing = (n: number): M | undefined => {
    const m = evaluate(n);
    return m !== undefined && ok(m) ? m : undefined;
  };
  let failed = from - 1;
  let hi = from;
  let best = passing(hi);
  for (let stride = 1; best === undefined; stride *= 2) {
    if (hi >= limit) throw new InfeasibleTargetError(limit);
    failed = hi;
    hi = Math.min(limit, from + stride);
    best = passing(hi);
  }
  while (hi - failed > 1) {
    const mid = failed + Math.floor((hi - failed) / 2);
    const m = passing(mid);
    if (m === undefined) failed = mid;
    else {
      hi = mid;
      best = m;
    }
  }
  return best;
}

function zeroLoad<M extends QueueMetrics>(metrics: M): StaffingPlan<M> {
  return { agents: 0, scheduledAgents: 0, metrics };
}

/**
 * Erlang C staffing: the smallest N > A meeting the target; an occupancy cap
 * raises N to at least ⌈A / cap⌉; scheduled = ⌈N / (1 − shrinkage)⌉.
 * With no traffic the plan is 0 agents.
 * @param workload calls per hour and AHT in seconds
 * @param target service-level / ASA target, occupancy cap and shrinkage
 * @throws RangeError on an invalid target; InfeasibleTargetError when no level up to A + 50√A + 100 meets it
 */
export function staffErlangC(workload: Workload, target: StaffingTarget): StaffingPlan {
  checkTarget(target);
  const traffic = trafficErlangs(workload);
  const t = target.targetTimeSeconds;
  if (traffic === 0) return zeroLoad(erlangCMetrics(workload, 0, t));
  const evaluate = (n: number): QueueMetrics => erlangCMetrics(workload, n, t);
  let metrics = firstPassing(Math.floor(traffic) + 1, searchLimit(traffic), evaluate, (m) => meets(m, target));
  if (target.maxOccupancy !== undefined) {
    const floor = ceilTolerant(traffic / target.maxOccupancy);
    if (floor > metrics.agents) metrics = evaluate(floor);
  }
  return { agents: metrics.agents, scheduledAgents: scheduledAgents(metrics.agents, target.shrinkage), metrics };
}

/**
 * Erlang A staffing: the smallest N ≥ 1 meeting the target (abandonment keeps
 * the queue stable, so N may be ≤ A). The service level used is
 * P(answered within t) of {@link erlangAMetrics}; since it cannot exceed the
 * answered share A·occupancy/A ≤ N/A, a service-level search starts at
 * max(1, ⌊SL·A⌋) without skipping any solution. An occupancy cap then raises N to the
 * smallest level whose carried occupancy A·(1 − P(Ab))/N is within the cap.
 * An N so far below the load that its queue runs to millions of calls (see
 * {@link StateSpaceError}) counts as missing the target.
 * @param workload calls per hour and AHT in seconds
 * @param patienceSeconds mean patience, seconds (> 0)
 * @param target service-level / ASA target, occupancy cap and shrinkage
 * @throws RangeError on an invalid target; InfeasibleTargetError when no level up to A + 50√A + 100 meets it
 */
export function staffErlangA(workload: Workload, patienceSeconds: number, target: StaffingTarget): StaffingPlan<ErlangAMetrics> {
  checkTarget(target);
  const traffic = trafficErlangs(workload);
  const t = target.targetTimeSeconds;
  if (traffic === 0) return zeroLoad(erlangAMetrics(workload, patienceSeconds, 0, t));
  const evaluate = (n: number): ErlangAMetrics | undefined => {
    try {
      return erlangAMetrics(workload, patienceSeconds, n, t);
    } catch (err) {
      if (err instanceof StateSpaceError) return undefined;
      throw err;
    }
  };
  const limit = searchLimit(traffic);
  const from = Math.max(1, Math.floor((target.serviceLevel ?? 0) * traffic));
  let metrics = firstPassing(from, limit, evaluate, (m) => meets(m, target));
  const cap = target.maxOccupancy;
  if (cap !== undefined && metrics.occupancy > cap * (1 + EPSILON)) {
    metrics = firstPassing(metrics.agents + 1, limit, evaluate, (m) => m.occupancy <= cap * (1 + EPSILON));
  }
  return { agents: metrics.agents, scheduledAgents: scheduledAgents(metrics.agents, target.shrinkage), metrics };
}
