/**
 * The highest sustainable rate of a system under test: offer a rate, see whether it keeps
 * up; double until it does not, then bisect between the last rate it sustained and the first
 * it did not, until the bracket is within a tolerance.
 */

/** What one probe at an offered rate saw. */
export interface ProbeResult {
  /** Offered rate, per second. */
  readonly rate: number;
  /** Whether the system kept up (latency and backlog bounded). */
  readonly sustained: boolean;
  /** Rate it actually handled, per second. */
  readonly achieved: number;
  /** p99 latency at that rate, ms. */
  readonly p99Ms: number;
  /** Why it was judged unsustainable, when it was. */
  readonly reason?: string;
}

/** Runs the system at `rate` (per second) and reports. */
export type Probe = (rate: number) => Promise<ProbeResult>;

/** Options of {@link findMaxRate}. */
export interface SearchOptions {
  /** First rate offered, per second (> 0). */
  readonly start: number;
  /** Growth factor while the rate is sustained (default 2, > 1). */
  readonly factor?: number;
  /** Stop bisecting when (high − low) / low ≤ this (default 0.1). */
  readonly tolerance?: number;
  /** Never offer more than this, per second (default Infinity). */
  readonly max?: number;
  /** Most probes in all (default 12). */
  readonly maxProbes?: number;
  /** Called after each probe (progress). */
  readonly onProbe?: (r: ProbeResult) => void;
}

/** The search's answer. */
export interface SearchResult {
  /** Highest offered rate sustained, per second (0 when even `start` was not). */
  readonly maxSustained: number;
  /** Lowest offered rate not sustained, per second (Infinity when none failed). */
  readonly firstUnsustained: number;
  readonly probes: readonly ProbeResult[];
}

/**
 * Steps the offered rate up by `factor` until a probe is not sustained (or `max` is reached),
 * then bisects. Probes are spent in order; the result brackets the capacity.
 * @throws RangeError naming a bad option
 */
export async function findMaxRate(probe: Probe, o: SearchOptions): Promise<SearchResult> {
  const factor = o.factor ?? 2;
  const tolerance = o.tolerance ?? 0.1;
  const max = o.max ?? Number.POSITIVE_INFINITY;
  const budget = o.maxProbes ?? 12;
  if (!(o.start > 0)) throw new RangeError(`start must be > 0 (got ${o.start})`);
  if (!(factor > 1)) throw new RangeError(`factor must be > 1 (got ${factor})`);
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be > 0 (got ${tolerance})`);
  if (!(budget >= 1)) throw new RangeError(`maxProbes must be ≥ 1 (got ${budget})`);
  const probes: ProbeResult[] = [];
  const run = async (rate: number) => {
    const r = await probe(rate);
    probes.push(r);
    o.onProbe?.(r);
    return r.sustained;
  };
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let rate = Math.min(o.start, max);
  while (probes.length < budget) {
    if (await run(rate)) {
      lo = rate;
      if (rate >= max) break;
      rate = Math.min(rate * factor, max);
    } else {
      hi = rate;
      break;
    }
  }
  while (probes.length < budget && Number.isFinite(hi) && (lo === 0 ? hi / 2 > o.start / 64 : (hi - lo) / lo > tolerance)) {
    const mid = lo === 0 ? hi / 2 : (lo + hi) / 2;
    if (await run(mid)) lo = mid;
    else hi = mid;
  }
  return { maxSustained: lo, firstUnsustained: hi, probes };
}
