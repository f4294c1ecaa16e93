/**
 * The parameters a traffic run realised, beside the ones it was given: arrival rate against the
 * integrated rate function, the means and CVs of the durations drawn, the outcome of the queue
 * (answered, abandoned, service level, ASA), and the multiplier each peak's plateau produced.
 */
import type { ResolvedConfig } from './config.js';
import { HOUR_MS, plateau } from './profile.js';
import { meanSec } from './random.js';
import type { Tenant } from './runtime.js';
import type { Moments } from './stats.js';

/** A drawn sample: how many, its mean in seconds and its coefficient of variation. */
export interface DrawnSummary {
  readonly n: number;
  readonly meanSec: number | null;
  readonly cv: number | null;
}

/** One skill group over the run. Rates are calls per hour, durations seconds, shares fractions. */
export interface SkillGroupSummary {
  readonly tenant: string;
  readonly skillGroup: string;
  /** Agents serving the group (on shift or not). */
  readonly agents: number;
  readonly configured: {
    readonly callsPerHour: number;
    readonly talkMeanSec: number;
    readonly holdShare: number;
    readonly holdMeanSec: number | null;
    readonly acwMeanSec: number;
    readonly patienceMeanSec: number | null;
  };
  /** ∫λ(t)dt over the run: the expected number of arrivals. */
  readonly expectedOffered: number;
  readonly offered: number;
  readonly answered: number;
  readonly abandoned: number;
  /** Calls completed (talk, hold and after-call work over) before the run ended. */
  readonly handled: number;
  readonly answeredWithinSl: number;
  readonly offeredPerHour: number;
  readonly expectedOfferedPerHour: number;
  /** abandoned / (answered + abandoned): the share of calls that left the queue by hanging up. */
  readonly abandonShare: number | null;
  /** answeredWithinSl / (answered + abandoned). */
  readonly serviceLevel: number | null;
  /** Mean wait of answered calls (ring time included). */
  readonly asaSec: number | null;
  /** Longest queue, calls. */
  readonly maxWaiting: number;
  /** Every draw made at arrival (hold: calls put on hold; `holdShare` their share of arrivals). */
  readonly drawn: {
    readonly talk: DrawnSummary;
    readonly hold: DrawnSummary;
    readonly holdShare: number | null;
    readonly acw: DrawnSummary;
    readonly patience: DrawnSummary;
  };
  /** Means over the COMPLETED events: talk, hold, after-call work and handle time (their sum). */
  readonly handledMeans: { readonly talkSec: number; readonly holdSec: number; readonly acwSec: number; readonly handleSec: number } | null;
}

/** What one peak's plateau realised. */
export interface PeakSummary {
  /** Epoch ms. */
  readonly plateauFrom: number;
  readonly plateauTo: number;
  readonly multiplier: number;
  /** Arrivals in the plateau, every group. */
  readonly offered: number;
  /** Arrivals expected in the plateau without the peak, every group. */
  readonly baselineExpected: number;
  /** offered / baselineExpected (null when nothing was expected). */
  readonly realisedMultiplier: number | null;
}

/** What a traffic run realised. */
export interface TrafficSummary {
  readonly seed: number;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  readonly events: {
    readonly agent: number;
    readonly extension: number;
    readonly skillgroup: number;
    readonly interval: number;
    readonly total: number;
  };
  readonly totals: { readonly offered: number; readonly answered: number; readonly abandoned: number; readonly handled: number };
  readonly skillGroups: readonly SkillGroupSummary[];
  readonly peaks: readonly PeakSummary[];
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
const drawn = (m: Moments): DrawnSummary => ({ n: m.n, meanSec: m.n === 0 ? null : m.mean()! / 1000, cv: m.cv() });

/**
 * Summarises a run so far.
 * @param counts events emitted by source
 */
export function summarise(
  c: ResolvedConfig,
  tenants: readonly Tenant[],
  counts: { agent: number; extension: number; skillgroup: number; interval: number },
): TrafficSummary {
  const end = c.start + c.durationMs;
  const hours = c.durationMs / HOUR_MS;
  const skillGroups: SkillGroupSummary[] = [];
  for (const t of tenants) {
    for (const g of t.groups) {
      const s = g.stats;
      const e = s.events;
      const left = e.answered + e.abandoned;
      const expectedOffered = g.rate.expected(c.start, end);
      skillGroups.push({
        tenant: t.cfg.id,
        skillGroup: g.cfg.id,
        agents: g.agents.length,
        configured: {
          callsPerHour: g.cfg.callsPerHour,
          talkMeanSec: meanSec(g.cfg.talk),
          holdShare: g.cfg.hold?.share ?? 0,
          holdMeanSec: g.cfg.hold ? meanSec(g.cfg.hold.duration) : null,
          acwMeanSec: g.cfg.acw ? meanSec(g.cfg.acw) : 0,
          patienceMeanSec: g.cfg.patience ? meanSec(g.cfg.patience) : null,
        },
        expectedOffered,
        offered: e.offered,
        answered: e.answered,
        abandoned: e.abandoned,
        handled: e.handled,
        answeredWithinSl: e.answeredWithinSl,
        offeredPerHour: e.offered / hours,
        expectedOfferedPerHour: expectedOffered / hours,
        abandonShare: ratio(e.abandoned, left),
        serviceLevel: ratio(e.answeredWithinSl, left),
        asaSec: e.answered === 0 ? null : s.answerWaitMs / e.answered / 1000,
        maxWaiting: s.maxWaiting,
        drawn: {
          talk: drawn(s.drawnTalk),
          hold: drawn(s.drawnHold),
          holdShare: ratio(s.drawnHold.n, s.drawnTalk.n),
          acw: drawn(s.drawnAcw),
          patience: drawn(s.drawnPatience),
        },
        handledMeans:
          e.handled === 0
            ? null
            : {
                talkSec: e.talkMs / e.handled / 1000,
                holdSec: e.holdMs / e.handled / 1000,
                acwSec: e.acwMs / e.handled / 1000,
                handleSec: (e.talkMs + e.holdMs + e.acwMs) / e.handled / 1000,
              },
      });
    }
  }
  const groups = tenants.flatMap((t) => t.groups);
  const peaks = c.peaks.map((p, i): PeakSummary => {
    const pl = plateau(p);
    const from = Math.max(pl.from, c.start);
    const to = Math.min(pl.to, end);
    const offered = groups.reduce((n, g) => n + g.stats.plateauArrivals[i]!, 0);
    // The other peaks stay in the baseline: only this one's factor is taken out.
    const baselineExpected = groups.reduce((n, g) => n + g.rate.expected(from, to) / p.multiplier, 0);
    return {
      plateauFrom: pl.from,
      plateauTo: pl.to,
      multiplier: p.multiplier,
      offered,
      baselineExpected,
      realisedMultiplier: ratio(offered, baselineExpected),
    };
  });
  const sum = (k: 'offered' | 'answered' | 'abandoned' | 'handled') => skillGroups.reduce((n, g) => n + g[k], 0);
  return {
    seed: c.seed,
    start: c.start,
    end,
    events: { ...counts, total: counts.agent + counts.extension + counts.skillgroup + counts.interval },
    totals: { offered: sum('offered'), answered: sum('answered'), abandoned: sum('abandoned'), handled: sum('handled') },
    skillGroups,
    peaks,
  };
}
