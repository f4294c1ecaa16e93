import type { SkillGroupBody } from '../events/types.js';

/** Thresholds the "within" counts of {@link SkillGroupSums} are taken against, ms. */
export interface SumThresholds {
  /** Service-level threshold T: a wait of at most T is "within T" (Asterisk compares `wait <= servicelevel`). */
  serviceLevelMs: number;
  /** A call abandoned after waiting less than this is a short abandon (DOMAIN.md, variant 4). */
  shortAbandonMs: number;
}

/**
 * Raw sums of one skill group's call events over some span (a window, an interval, a whole file):
 * counts and totals, never ratios, so every metric variant can be computed from them (DOMAIN.md,
 * "Interval reports keep raw sums"). Plain data: serialisable, and {@link mergeSkillGroupSums} of two
 * spans equals the sums of their union. Durations in ms.
 *
 * Attribution: queue exits (ANSWERED, ABANDONED, OVERFLOWED) count where the call left the queue;
 * handle time (COMPLETED, TRANSFERRED) where the contact completed (Genesys, per DOMAIN.md).
 */
export interface SkillGroupSums extends SumThresholds {
  /** Calls that entered the queue (OFFERED). */
  offered: number;
  /** Calls connected to an agent (ANSWERED). */
  answered: number;
  /** Answered calls that waited at most T. */
  answeredWithinSl: number;
  /** Total wait of answered calls. */
  answerWaitMs: number;
  /** Callers who hung up while waiting (ABANDONED). */
  abandoned: number;
  /** Abandoned calls that waited at most T. */
  abandonedWithinSl: number;
  /** Abandoned calls that waited less than the short-abandon threshold. */
  shortAbandons: number;
  /** Total wait of abandoned calls. */
  abandonWaitMs: number;
  /** Calls that left the queue neither answered nor abandoned (OVERFLOWED: timeout, key, empty, …). */
  overflowed: number;
  /** {@link overflowed} by the event's `reason` (`''` when none was given). */
  overflowedByReason: Record<string, number>;
  /** Longest wait of any call that left the queue (answered, abandoned or overflowed); null before the first. */
  maxWaitMs: number | null;
  /** Queue exits that carried no `waitMs`: they count in no wait total and never as "within T". */
  untimedExits: number;
  /** Contacts whose handling ended (COMPLETED + TRANSFERRED). */
  handled: number;
  /** Handled contacts transferred out. */
  transferred: number;
  /** Talk, hold and after-call-work totals of handled contacts. */
  talkMs: number;
  holdMs: number;
  acwMs: number;
}

/** Empty sums for the given thresholds (ms, each a whole number ≥ 0). */
export function emptySkillGroupSums(t: SumThresholds): SkillGroupSums {
  for (const k of ['serviceLevelMs', 'shortAbandonMs'] as const) {
    if (!Number.isInteger(t[k]) || t[k] < 0) throw new RangeError(`${k} must be a whole number of ms ≥ 0, got ${t[k]}`);
  }
  return {
    serviceLevelMs: t.serviceLevelMs,
    shortAbandonMs: t.shortAbandonMs,
    offered: 0,
    answered: 0,
    answeredWithinSl: 0,
    answerWaitMs: 0,
    abandoned: 0,
    abandonedWithinSl: 0,
    shortAbandons: 0,
    abandonWaitMs: 0,
    overflowed: 0,
    overflowedByReason: {},
    maxWaitMs: null,
    untimedExits: 0,
    handled: 0,
    transferred: 0,
    talkMs: 0,
    holdMs: 0,
    acwMs: 0,
  };
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** The sums after one more call event of this skill group (pure: `s` is not changed). */
export function addSkillGroupEvent(s: SkillGroupSums, e: SkillGroupBody): SkillGroupSums {
  const n: SkillGroupSums = { ...s };
  const wait = e.waitMs;
  const within = wait !== undefined && wait <= s.serviceLevelMs ? 1 : 0;
  const exit = e.type === 'ANSWERED' || e.type === 'ABANDONED' || e.type === 'OVERFLOWED';
  if (exit) {
    if (wait === undefined) n.untimedExits++;
    else n.maxWaitMs = maxOf(n.maxWaitMs, wait);
  }
  switch (e.type) {
    case 'OFFERED':
      n.offered++;
      break;
    case 'ANSWERED':
      n.answered++;
      n.answeredWithinSl += within;
      n.answerWaitMs += wait ?? 0;
      break;
    case 'ABANDONED':
      n.abandoned++;
      n.abandonedWithinSl += within;
      if (wait !== undefined && wait < s.shortAbandonMs) n.shortAbandons++;
      n.abandonWaitMs += wait ?? 0;
      break;
    case 'OVERFLOWED': {
      n.overflowed++;
      const why = e.reason ?? '';
      n.overflowedByReason = { ...s.overflowedByReason, [why]: (s.overflowedByReason[why] ?? 0) + 1 };
      break;
    }
    case 'TRANSFERRED':
    case 'COMPLETED':
      n.handled++;
      if (e.type === 'TRANSFERRED') n.transferred++;
      n.talkMs += e.talkMs ?? 0;
      n.holdMs += e.holdMs ?? 0;
      n.acwMs += e.acwMs ?? 0;
      break;
  }
  return n;
}

const COUNTERS = ['offered', 'answered', 'answeredWithinSl', 'answerWaitMs', 'abandoned', 'abandonedWithinSl', 'shortAbandons', 'abandonWaitMs', 'overflowed', 'untimedExits', 'handled', 'transferred', 'talkMs', 'holdMs', 'acwMs'] as const;

/** Sums of two spans together; both must share thresholds. Commutative and associative, with {@link emptySkillGroupSums} as identity. */
export function mergeSkillGroupSums(a: SkillGroupSums, b: SkillGroupSums): SkillGroupSums {
  if (a.serviceLevelMs !== b.serviceLevelMs || a.shortAbandonMs !== b.shortAbandonMs) {
    throw new RangeError(`cannot merge sums taken against different thresholds (T ${a.serviceLevelMs}/${b.serviceLevelMs} ms, short abandon ${a.shortAbandonMs}/${b.shortAbandonMs} ms)`);
  }
  const n: SkillGroupSums = { ...a, overflowedByReason: { ...a.overflowedByReason }, maxWaitMs: maxOf(a.maxWaitMs, b.maxWaitMs) };
  for (const k of COUNTERS) n[k] = a[k] + b[k];
  for (const [why, count] of Object.entries(b.overflowedByReason)) n.overflowedByReason[why] = (n.overflowedByReason[why] ?? 0) + count;
  return n;
}
