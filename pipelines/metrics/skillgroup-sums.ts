import type { SkillGroupBody } from '../events/types.js';

/** Thresholds the "within" counts of {@link SkillGroupSums} are taken against, ms. */
export interface SumThresholds {
  /** Service-level threshold T: a wait of at most T is "within T" (Asterisk compares `wait <= servicelevel`). */
  serviceLevelMs: number;
  /** A call abandoned after waiting less than this is a short abandon (docs/domain.md#service-level-the-four-variants, variant 4). */
  shortAbandonMs: number;
}

/**
 * Raw sums of one skill group's call events over some span (a window, an interval, a whole file):
 * counts and totals, never ratios, so every metric variant can be computed from them
 * (docs/domain.md#raw-sums-not-ratios). Plain data: serialisable, and {@link mergeSkillGroupSums} of two
 * spans equals the sums of their union. Durations in ms.
 *
 * Attribution: queue exits (ANSWERED, ABANDONED, OVERFLOWED) count where the call left the queue;
 * handle time (COMPLETED, TRANSFERRED) where the contact completed (Genesys, per docs/domain.md#other-definitions).
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
  return foldSkillGroupEvent({ ...s, overflowedByReason: { ...s.overflowedByReason } }, e);
}

/**
 * Adds one call event to `acc` in place and returns it: what a window operator's accumulator does
 * (it owns the object; see `Aggregator.add`), without a copy per event.
 */
export function foldSkillGroupEvent(acc: SkillGroupSums, e: SkillGroupBody): SkillGroupSums {
  const wait = e.waitMs;
  const within = wait !== undefined && wait <= acc.serviceLevelMs ? 1 : 0;
  const exit = e.type === 'ANSWERED' || e.type === 'ABANDONED' || e.type === 'OVERFLOWED';
  if (exit) {
    if (wait === undefined) acc.untimedExits++;
    else acc.maxWaitMs = maxOf(acc.maxWaitMs, wait);
  }
  switch (e.type) {
    case 'OFFERED':
      acc.offered++;
      break;
    case 'ANSWERED':
      acc.answered++;
      acc.answeredWithinSl += within;
      acc.answerWaitMs += wait ?? 0;
      break;
    case 'ABANDONED':
      acc.abandoned++;
      acc.abandonedWithinSl += within;
      if (wait !== undefined && wait < acc.shortAbandonMs) acc.shortAbandons++;
      acc.abandonWaitMs += wait ?? 0;
      break;
    case 'OVERFLOWED': {
      acc.overflowed++;
      const why = e.reason ?? '';
      acc.overflowedByReason[why] = (acc.overflowedByReason[why] ?? 0) + 1;
      break;
    }
    case 'TRANSFERRED':
    case 'COMPLETED':
      acc.handled++;
      if (e.type === 'TRANSFERRED') acc.transferred++;
      acc.talkMs += e.talkMs ?? 0;
      acc.holdMs += e.holdMs ?? 0;
      acc.acwMs += e.acwMs ?? 0;
      break;
  }
  return acc;
}

const COUNTERS = [
  'offered',
  'answered',
  'answeredWithinSl',
  'answerWaitMs',
  'abandoned',
  'abandonedWithinSl',
  'shortAbandons',
  'abandonWaitMs',
  'overflowed',
  'untimedExits',
  'handled',
  'transferred',
  'talkMs',
  'holdMs',
  'acwMs',
] as const;

/** Sums of two spans together; both must share thresholds. Commutative and associative, with {@link emptySkillGroupSums} as identity. */
export function mergeSkillGroupSums(a: SkillGroupSums, b: SkillGroupSums): SkillGroupSums {
  return mergeSkillGroupSumsInto({ ...a, overflowedByReason: { ...a.overflowedByReason } }, b);
}

/** Adds `from` into `into` in place and returns `into` (`from` is not changed); both must share thresholds. */
export function mergeSkillGroupSumsInto(into: SkillGroupSums, from: SkillGroupSums): SkillGroupSums {
  if (into.serviceLevelMs !== from.serviceLevelMs || into.shortAbandonMs !== from.shortAbandonMs) {
    throw new RangeError(
      `cannot merge sums taken against different thresholds (T ${into.serviceLevelMs}/${from.serviceLevelMs} ms, short abandon ${into.shortAbandonMs}/${from.shortAbandonMs} ms)`,
    );
  }
  into.maxWaitMs = maxOf(into.maxWaitMs, from.maxWaitMs);
  for (const k of COUNTERS) into[k] += from[k];
  for (const why in from.overflowedByReason)
    into.overflowedByReason[why] = (into.overflowedByReason[why] ?? 0) + from.overflowedByReason[why]!;
  return into;
}
