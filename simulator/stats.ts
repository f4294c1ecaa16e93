/**
 * Running sums the traffic model keeps while it runs: the draws it made (the parameters it realised)
 * and what its skill-group events said, per skill group; and the raw sums of the current vendor
 * interval. Plain counters: memory does not grow with the length of the run.
 */
import type { SkillGroupBody } from '../pipelines/events/types.js';

/** Count, mean and coefficient of variation of a sample, kept as running sums. */
export class Moments {
  n = 0;
  sum = 0;
  sumSq = 0;

  /** Adds one observation. */
  add(x: number): void {
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }

  /** Sample mean, or null when empty. */
  mean(): number | null {
    return this.n === 0 ? null : this.sum / this.n;
  }

  /** Coefficient of variation (population standard deviation / mean), or null with fewer than two. */
  cv(): number | null {
    if (this.n < 2 || this.sum === 0) return null;
    const m = this.sum / this.n;
    return Math.sqrt(Math.max(0, this.sumSq / this.n - m * m)) / m;
  }
}

/** Raw sums of one skill group's call events in one interval: what its vendor report says. Durations ms. */
export interface IntervalSums {
  offered: number;
  answered: number;
  abandoned: number;
  answeredWithinSl: number;
  abandonedWithinSl: number;
  handled: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
}

/** Zeroed {@link IntervalSums}. */
export function emptyIntervalSums(): IntervalSums {
  return { offered: 0, answered: 0, abandoned: 0, answeredWithinSl: 0, abandonedWithinSl: 0, handled: 0, talkMs: 0, holdMs: 0, acwMs: 0 };
}

/**
 * Adds one skill-group event to interval sums: queue exits count where the call left the queue,
 * handle time where the contact completed (the attribution of pipelines/metrics/skillgroup-sums.ts).
 * @param slMs service-level threshold T, ms (a wait ≤ T is within)
 */
export function addToInterval(s: IntervalSums, b: SkillGroupBody, slMs: number): void {
  switch (b.type) {
    case 'OFFERED':
      s.offered++;
      break;
    case 'ANSWERED':
      s.answered++;
      if ((b.waitMs ?? Infinity) <= slMs) s.answeredWithinSl++;
      break;
    case 'ABANDONED':
      s.abandoned++;
      if ((b.waitMs ?? Infinity) <= slMs) s.abandonedWithinSl++;
      break;
    case 'COMPLETED':
      s.handled++;
      s.talkMs += b.talkMs ?? 0;
      s.holdMs += b.holdMs ?? 0;
      s.acwMs += b.acwMs ?? 0;
      break;
    default:
      break;
  }
}

/** The counters of a vendor interval report built from {@link IntervalSums} (seconds, never ratios). */
export function intervalCounters(s: IntervalSums): Record<string, number> {
  return {
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    answeredWithinSl: s.answeredWithinSl,
    abandonedWithinSl: s.abandonedWithinSl,
    handled: s.handled,
    talkSec: s.talkMs / 1000,
    holdSec: s.holdMs / 1000,
    acwSec: s.acwMs / 1000,
  };
}

/** Everything one skill group counts over a run. Durations ms. */
export class GroupStats {
  /** Whole-run sums of the group's events. */
  readonly events = emptyIntervalSums();
  /** Total wait of answered calls. */
  answerWaitMs = 0;
  /** Total wait of abandoned calls. */
  abandonWaitMs = 0;
  /** Draws made at each arrival, ms (hold: only calls put on hold). */
  readonly drawnTalk = new Moments();
  readonly drawnHold = new Moments();
  readonly drawnAcw = new Moments();
  readonly drawnPatience = new Moments();
  /** Longest queue (calls waiting, ringing excluded). */
  maxWaiting = 0;
  /** Arrivals inside each peak's plateau, by peak index. */
  readonly plateauArrivals: number[];

  /** @param peaks number of peaks of the run */
  constructor(peaks: number) {
    this.plateauArrivals = Array.from({ length: peaks }, () => 0);
  }
}
