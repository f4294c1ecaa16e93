/**
 * Queueing formulas for inbound staffing: Erlang B, Erlang C (M/M/N) and
 * Erlang A (M/M/N+M, exponential patience).
 *
 * Units: call rates are calls per hour, every duration (AHT, patience, target
 * answer time, ASA) is in seconds, probabilities are fractions in [0, 1].
 * Offered traffic A = λ·AHT is in Erlangs.
 */
import { integrateExpConcave } from './quadrature.js';

/** Offered workload of a queue. */
export interface Workload {
  /** Arrival rate λ, calls per hour. */
  readonly callsPerHour: number;
  /** Average handle time (talk + hold + after-call work), seconds. */
  readonly ahtSeconds: number;
}

/** Steady-state performance of N agents serving a {@link Workload}. */
export interface QueueMetrics {
  /** Number of agents N. */
  readonly agents: number;
  /** Offered traffic A = λ·AHT, Erlangs. */
  readonly trafficErlangs: number;
  /** P(W > 0): probability that an arriving call has to wait, fraction. */
  readonly probabilityOfWait: number;
  /** Fraction of all arriving calls answered within the target time (Erlang A: and not abandoned). */
  readonly serviceLevel: number;
  /** Average speed of answer of answered calls, seconds (`Infinity` when Erlang C is unstable, N ≤ A). */
  readonly asa: number;
  /** Agent occupancy: carried traffic / N, fraction (Erlang C: A/N). */
  readonly occupancy: number;
}

/** Erlang A adds the abandonment measures to {@link QueueMetrics}. */
export interface ErlangAMetrics extends QueueMetrics {
  /** P(Ab) = θ·Lq/λ: fraction of arriving calls that abandon. */
  readonly probabilityOfAbandon: number;
  /** P(V ≤ t): fraction whose offered wait V (the wait with infinite patience) is at most t — the Koole / CCmath "Erlang X" service level. */
  readonly offeredServiceLevel: number;
  /** E[W] = Lq/λ: mean wait over all arriving calls, abandoned ones included, seconds. */
  readonly meanWait: number;
  /** E[V]: mean offered wait, seconds (the CCmath "Erlang X" ASA). */
  readonly meanOfferedWait: number;
}

/**
 * Offered traffic A = λ·AHT in Erlangs.
 * @param workload calls per hour and AHT in seconds
 */
export function trafficErlangs(workload: Workload): number {
  return (workload.callsPerHour * workload.ahtSeconds) / 3600;
}

function checkAgents(agents: number): void {
  if (!Number.isInteger(agents) || agents < 0) throw new RangeError(`agents must be a non-negative integer, got ${agents}`);
}

function checkNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
}

/**
 * Erlang B blocking probability B(N, A) of the M/M/N/N loss system, by the
 * stable recursion B₀ = 1, Bₖ = A·Bₖ₋₁ / (k + A·Bₖ₋₁) (no factorials, no overflow).
 * @param traffic offered traffic A, Erlangs
 * @param servers number of servers N
 */
export function erlangB(traffic: number, servers: number): number {
  checkNonNegative('traffic', traffic);
  checkAgents(servers);
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (traffic * b) / (k + traffic * b);
  return b;
}

/**
 * Erlang C probability of waiting Pw = N·B / (N − A(1 − B)) for the M/M/N queue.
 * Returns 1 when N ≤ A (unstable: every call waits).
 * @param traffic offered traffic A, Erlangs
 * @param servers number of agents N
 */
export function erlangC(traffic: number, servers: number): number {
  const b = erlangB(traffic, servers);
  if (servers <= traffic) return 1;
  return (servers * b) / (servers - traffic * (1 - b));
}

/**
 * Erlang C metrics: Pw, SL(t) = 1 − Pw·e^(−(N−A)·t/AHT), ASA = Pw·AHT/(N−A), occupancy A/N.
 * With no traffic every call (there are none) counts as answered at once.
 * @param workload calls per hour and AHT in seconds
 * @param agents number of agents N
 * @param targetTimeSeconds answer-time threshold t of the service level, seconds
 */
export function erlangCMetrics(workload: Workload, agents: number, targetTimeSeconds: number): QueueMetrics {
  checkWorkload(workload);
  checkAgents(agents);
  checkNonNegative('targetTimeSeconds', targetTimeSeconds);
  const a = trafficErlangs(workload);
  const base = { agents, trafficErlangs: a };
  if (a === 0) return { ...base, probabilityOfWait: 0, serviceLevel: 1, asa: 0, occupancy: 0 };
  if (agents <= a) return { ...base, probabilityOfWait: 1, serviceLevel: 0, asa: Infinity, occupancy: 1 };
  const pw = erlangC(a, agents);
  const aht = workload.ahtSeconds;
  return {
    ...base,
    probabilityOfWait: pw,
    serviceLevel: 1 - pw * Math.exp((-(agents - a) * targetTimeSeconds) / aht),
    asa: (pw * aht) / (agents - a),
    occupancy: a / agents,
  };
}

function checkWorkload(workload: Workload): void {
  checkNonNegative('callsPerHour', workload.callsPerHour);
  if (!Number.isFinite(workload.ahtSeconds) || workload.ahtSeconds <= 0) {
    throw new RangeError(`ahtSeconds must be a finite number > 0, got ${workload.ahtSeconds}`);
  }
}

/** States beyond this many make the Erlang A chain too long to solve (patience ≫ AHT under overload). */
const MAX_STATES = 5_000_000;
/** States whose log-weight is this far below the peak (e^-46 ≈ 1e-20) are dropped. */
const LOG_CUTOFF = 46;

/** The Erlang A chain would need more states than {@link erlangAMetrics} solves: patience far longer than AHT under overload. */
export class StateSpaceError extends RangeError {
  override readonly name = 'StateSpaceError';
  /** @param limit the state-count limit that was exceeded */
  constructor(readonly limit: number) {
    super(
      `the Erlang A chain needs more than ${limit} states: patience too long for this overload (try fewer seconds of patience, more agents or Erlang C)`,
    );
  }
}

interface Chain {
  /** Normalised stationary probabilities π₀…π_K (the truncated tail has mass < 1e-17). */
  readonly pi: Float64Array;
  /** log π_{N−1}, kept separately because π_{N−1} itself may underflow. */
  readonly logPiBeforeQueue: number;
}

/**
 * Stationary law of the birth–death chain of M/M/N+M: births λ, deaths
 * min(n,N)·μ + max(n−N,0)·θ. Log-weights log(πₙ/π₀) are accumulated and
 * exponentiated relative to their peak before normalising, so neither N! nor Aⁿ
 * is ever formed; the queue part is cut once the weights decrease and fall
 * LOG_CUTOFF below the peak.
 */
function solveChain(lambda: number, mu: number, theta: number, agents: number): Chain {
  const a = agents * mu;
  if (theta === 0 && lambda >= a) throw new RangeError('with infinite patience the queue is unstable unless agents exceed the traffic');
  // The queue part peaks near j = (λ − Nμ)/θ: refuse before building a chain that long.
  if (agents + Math.max(0, (lambda - a) / theta) > MAX_STATES) throw new StateSpaceError(MAX_STATES);
  const lw: number[] = [0];
  let peak = 0;
  const logLambda = Math.log(lambda);
  for (let n = 1; n <= agents; n++) {
    const v = (lw[n - 1] as number) + logLambda - Math.log(n * mu);
    lw.push(v);
    if (v > peak) peak = v;
  }
  for (let j = 1; ; j++) {
    const death = a + j * theta;
    const v = (lw[agents + j - 1] as number) + logLambda - Math.log(death);
    lw.push(v);
    if (v > peak) peak = v;
    if (death >= lambda && v < peak - LOG_CUTOFF) break;
    if (lw.length > MAX_STATES) throw new StateSpaceError(MAX_STATES);
  }
  // Normalise relative to the peak: forming peak + log(sum) would cost the low bits of every πₙ.
  const pi = Float64Array.from(lw, (v) => Math.exp(v - peak));
  let sum = 0;
  for (const w of pi) sum += w;
  for (let n = 0; n < pi.length; n++) pi[n] = (pi[n] as number) / sum;
  return { pi, logPiBeforeQueue: (lw[agents - 1] as number) - peak - Math.log(sum) };
}

/**
 * Erlang A (Palm's M/M/N+M) metrics: Poisson arrivals λ, exponential handle
 * times (rate μ = 1/AHT), N agents, exponential patience (rate θ = 1/mean patience).
 * Abandonment keeps the queue stable, so N may be ≤ A.
 *
 * The stationary law πₙ is solved numerically from the birth–death chain
 * (log space, truncated tail). Then, with Nμ written a and the queue of a
 * call's arrival written j = n − N ≥ 0:
 * - P(W > 0) = Σ_{n≥N} πₙ;  P(Ab) = θ·Lq/λ with Lq = Σ_j j·π_{N+j}.
 * - P(served | j) = a / (a + (j+1)θ) (the product of the stage odds telescopes).
 * - ASA (answered calls only, abandons excluded — the Sluice definition) =
 *   E[W·1{served}] / P(served), with E[W·1{served} | j] = P(served | j)·Σ_{i=1}^{j+1} 1/(a + iθ).
 * - E[V] = Σ_j π_{N+j}·Σ_{i=0}^{j} 1/(a + iθ): mean offered wait.
 * - Service level from the density of the offered wait (Mandelbaum & Zeltyn,
 *   "The M/M/n+G queue: summary of performance measures", specialised to
 *   G = Exp(θ); Garnett, Mandelbaum & Reiman 2002):
 *   f_V(x) = λ·π_{N−1}·exp(λ·H(x) − Nμ·x) on x > 0, with H(x) = (1 − e^(−θx))/θ and P(V = 0) = Σ_{n<N} πₙ;
 *   SL(t) = P(W ≤ t, served) = P(V = 0) + ∫₀ᵗ e^(−θx)·f_V(x) dx (a call is answered within t iff V ≤ t and its patience exceeds V);
 *   offered SL(t) = P(V ≤ t) = P(V = 0) + ∫₀ᵗ f_V(x) dx. Both integrands are log-concave; they are
 *   integrated by adaptive Simpson quadrature over the range where they are not negligible.
 * - Occupancy = E[min(n, N)] / N, which by flow balance equals A·(1 − P(Ab)) / N.
 * @param workload calls per hour and AHT in seconds
 * @param patienceSeconds mean patience 1/θ, seconds (> 0; `Infinity` gives Erlang C and then needs N > A)
 * @param agents number of agents N ≥ 1 (0 is accepted only with no traffic)
 * @param targetTimeSeconds answer-time threshold t of the service level, seconds
 * @throws StateSpaceError when the chain would need more than 5 000 000 states; RangeError on invalid input
 */
export function erlangAMetrics(workload: Workload, patienceSeconds: number, agents: number, targetTimeSeconds: number): ErlangAMetrics {
  checkWorkload(workload);
  checkAgents(agents);
  checkNonNegative('targetTimeSeconds', targetTimeSeconds);
  if (!(patienceSeconds > 0)) throw new RangeError(`patienceSeconds must be > 0, got ${patienceSeconds}`);
  const trafficA = trafficErlangs(workload);
  if (trafficA === 0) {
    const idle = { probabilityOfWait: 0, serviceLevel: 1, asa: 0, occupancy: 0 };
    return { agents, trafficErlangs: 0, ...idle, probabilityOfAbandon: 0, offeredServiceLevel: 1, meanWait: 0, meanOfferedWait: 0 };
  }
  if (agents === 0) throw new RangeError('agents must be ≥ 1 when there is traffic');
  const lambda = workload.callsPerHour / 3600;
  const mu = 1 / workload.ahtSeconds;
  const theta = 1 / patienceSeconds;
  const a = agents * mu;
  const { pi, logPiBeforeQueue } = solveChain(lambda, mu, theta, agents);

  let noWait = 0;
  let busyBelow = 0; // Σ_{n<N} n·πₙ
  for (let n = 0; n < agents; n++) {
    noWait += pi[n] as number;
    busyBelow += n * (pi[n] as number);
  }
  let queued = 0;
  let lq = 0;
  let servedQueued = 0;
  let servedWait = 0;
  let offeredWait = 0;
  let sumOffered = 0; // Σ_{i=0}^{j} 1/(a + iθ)
  let sumTilted = 0; // Σ_{i=1}^{j+1} 1/(a + iθ)
  for (let j = 0; agents + j < pi.length; j++) {
    const p = pi[agents + j] as number;
    sumOffered += 1 / (a + j * theta);
    sumTilted += 1 / (a + (j + 1) * theta);
    const served = a / (a + (j + 1) * theta);
    queued += p;
    lq += j * p;
    servedQueued += p * served;
    servedWait += p * served * sumTilted;
    offeredWait += p * sumOffered;
  }
  const probabilityOfAbandon = (theta * lq) / lambda;
  const servedFraction = noWait + servedQueued;

  // log of e^(−wθx)·f_V(x): w = 1 for answered-within-t, 0 for the offered wait; concave in x.
  const logScale = Math.log(lambda) + logPiBeforeQueue;
  const h = (x: number): number => (theta === 0 ? x : -Math.expm1(-theta * x) / theta);
  const t = targetTimeSeconds;
  const levelAbove = (w: number): number => {
    const decay = a + w * theta; // φ'(x) = λe^(−θx) − decay, zero at the peak
    const peak = theta > 0 && lambda > decay ? Math.min(t, Math.log(lambda / decay) / theta) : 0;
    return integrateExpConcave((x) => logScale + lambda * h(x) - decay * x, peak, t, LOG_CUTOFF);
  };
  const serviceLevel = noWait + levelAbove(1);
  const offeredServiceLevel = noWait + levelAbove(0);

  return {
    agents,
    trafficErlangs: trafficA,
    probabilityOfWait: Math.min(1, queued),
    serviceLevel: Math.min(1, serviceLevel),
    asa: servedWait / servedFraction,
    occupancy: Math.min(1, (busyBelow + agents * queued) / agents),
    probabilityOfAbandon,
    offeredServiceLevel: Math.min(1, offeredServiceLevel),
    meanWait: lq / lambda,
    meanOfferedWait: offeredWait,
  };
}
