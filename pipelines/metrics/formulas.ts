/**
 * The metric formulas of Sluice, in one place: pure functions over raw sums (docs/architecture.md#metrics,
 * docs/domain.md#service-level-the-four-variants and #other-definitions). Every ratio is a
 * number in [0, 1] (not a percentage), every duration in ms; a ratio over an empty denominator is
 * `null`, never NaN or Infinity.
 */
import type { AgentState } from '../events/types.js';
import type { SkillGroupSums } from './skillgroup-sums.js';

/** `num / den`, or null when `den` is 0 (or either is not finite). */
export function ratio(num: number, den: number): number | null {
  if (den === 0 || !Number.isFinite(num) || !Number.isFinite(den)) return null;
  return num / den;
}

/**
 * The service-level variants of docs/domain.md#service-level-the-four-variants, by number:
 * 1. `answered` — answered within T / answered (Asterisk `ServicelevelPerf`, classic Avaya CMS);
 * 2. `answeredAndAbandoned` — answered within T / (answered + abandoned) (Genesys: abandons count against);
 * 3. `abandonsWithinGood` — (answered within T + abandoned within T) / (answered + abandoned)
 *    (Asterisk `ServicelevelPerf2`; Amazon Connect "service level X");
 * 4. `shortAbandonsExcluded` — answered within T / (answered + abandoned − short abandons) (Genesys option, RingCentral).
 */
export type ServiceLevelVariant = 'answered' | 'answeredAndAbandoned' | 'abandonsWithinGood' | 'shortAbandonsExcluded';

/** Every {@link ServiceLevelVariant}, in the order of docs/domain.md#service-level-the-four-variants. */
export const SERVICE_LEVEL_VARIANTS: readonly ServiceLevelVariant[] = [
  'answered',
  'answeredAndAbandoned',
  'abandonsWithinGood',
  'shortAbandonsExcluded',
];

/** The sums service level needs. */
export type ServiceLevelSums = Pick<SkillGroupSums, 'answered' | 'answeredWithinSl' | 'abandoned' | 'abandonedWithinSl' | 'shortAbandons'>;

/**
 * Service level (ratio 0–1) in the chosen variant; T is the threshold the sums were counted against.
 * @example serviceLevel({ answered: 8, answeredWithinSl: 6, abandoned: 2, abandonedWithinSl: 1, shortAbandons: 1 }, 'abandonsWithinGood') // 0.7
 */
export function serviceLevel(s: ServiceLevelSums, variant: ServiceLevelVariant): number | null {
  switch (variant) {
    case 'answered':
      return ratio(s.answeredWithinSl, s.answered);
    case 'answeredAndAbandoned':
      return ratio(s.answeredWithinSl, s.answered + s.abandoned);
    case 'abandonsWithinGood':
      return ratio(s.answeredWithinSl + s.abandonedWithinSl, s.answered + s.abandoned);
    case 'shortAbandonsExcluded':
      return ratio(s.answeredWithinSl, s.answered + s.abandoned - s.shortAbandons);
  }
}

/**
 * How a service level reads on a screen, in words: the variant at its threshold T ("answered within 17 s ÷
 * answered"), T to a tenth of a second. The one text the real-time figures carry (`serviceLevelDefinition`), so the
 * wallboard, the API and anything else that shows a service level say the same. Pure.
 */
export function describeServiceLevel(variant: ServiceLevelVariant, thresholdMs: number): string {
  const t = `${Math.round(thresholdMs / 100) / 10} s`;
  switch (variant) {
    case 'answered':
      return `answered within ${t} ÷ answered`;
    case 'answeredAndAbandoned':
      return `answered within ${t} ÷ (answered + abandoned)`;
    case 'abandonsWithinGood':
      return `(answered + abandoned within ${t}) ÷ (answered + abandoned)`;
    case 'shortAbandonsExcluded':
      return `answered within ${t} ÷ (answered + abandoned − short abandons)`;
  }
}

/** All four service-level variants at once (ratios 0–1, null when undefined). */
export function serviceLevels(s: ServiceLevelSums): Record<ServiceLevelVariant, number | null> {
  return {
    answered: serviceLevel(s, 'answered'),
    answeredAndAbandoned: serviceLevel(s, 'answeredAndAbandoned'),
    abandonsWithinGood: serviceLevel(s, 'abandonsWithinGood'),
    shortAbandonsExcluded: serviceLevel(s, 'shortAbandonsExcluded'),
  };
}

/** Average speed of answer, ms: total wait of answered calls / answered; abandons excluded (docs/domain.md#other-definitions). */
export function averageSpeedOfAnswer(s: Pick<SkillGroupSums, 'answerWaitMs' | 'answered'>): number | null {
  return ratio(s.answerWaitMs, s.answered);
}

/** Average handle time, ms: (talk + hold + ACW) / handled, attributed where the contact completed (docs/domain.md#other-definitions, Genesys). */
export function averageHandleTime(s: Pick<SkillGroupSums, 'talkMs' | 'holdMs' | 'acwMs' | 'handled'>): number | null {
  return ratio(s.talkMs + s.holdMs + s.acwMs, s.handled);
}

/** Mean talk time of handled contacts, ms: talk / handled. */
export function averageTalkTime(s: Pick<SkillGroupSums, 'talkMs' | 'handled'>): number | null {
  return ratio(s.talkMs, s.handled);
}

/**
 * Abandon rate (ratio 0–1) over one of the two denominators of docs/domain.md#other-definitions:
 * - `offered` (Genesys): abandoned / calls that entered the queue;
 * - `queued` (Amazon Connect, contacts counted when they leave): abandoned / (answered + abandoned + overflowed).
 */
export function abandonRate(
  s: Pick<SkillGroupSums, 'abandoned' | 'offered' | 'answered' | 'overflowed'>,
  denominator: 'offered' | 'queued',
): number | null {
  return ratio(s.abandoned, denominator === 'offered' ? s.offered : s.answered + s.abandoned + s.overflowed);
}

/** Longest wait of any call that left the queue, ms (null when none did). */
export function longestWait(s: Pick<SkillGroupSums, 'maxWaitMs'>): number | null {
  return s.maxWaitMs;
}

/** Transfer rate (ratio 0–1): transferred out / handled (docs/domain.md#other-definitions). */
export function transferRate(s: Pick<SkillGroupSums, 'transferred' | 'handled'>): number | null {
  return ratio(s.transferred, s.handled);
}

/** Overflow rate (ratio 0–1): calls that left the queue neither answered nor abandoned / calls that entered it. */
export function overflowRate(s: Pick<SkillGroupSums, 'overflowed' | 'offered'>): number | null {
  return ratio(s.overflowed, s.offered);
}

/** Time an agent spent in each state, ms (from {@link agentStateTimes} in timeline.ts). */
export type AgentTimes = Record<AgentState, number>;

/** Handle time, ms: on a call, on hold, or in after-call work. */
export function handleTime(t: Pick<AgentTimes, 'ON_CALL' | 'HOLD' | 'ACW'>): number {
  return t.ON_CALL + t.HOLD + t.ACW;
}

/** Occupancy (ratio 0–1): handle time / (handle + available time) (docs/domain.md#other-definitions). Ringing and AUX are in neither. */
export function occupancy(t: Pick<AgentTimes, 'ON_CALL' | 'HOLD' | 'ACW' | 'AVAILABLE'>): number | null {
  const handle = handleTime(t);
  return ratio(handle, handle + t.AVAILABLE);
}

/**
 * Utilisation (ratio 0–1): handle time / staffed time, where staffed is every state but LOGGED_OUT
 * (AVAILABLE, RINGING, ON_CALL, HOLD, ACW, AUX). Unlike occupancy, breaks (AUX) lower it.
 */
export function utilisation(t: AgentTimes): number | null {
  return ratio(handleTime(t), t.AVAILABLE + t.RINGING + t.ON_CALL + t.HOLD + t.ACW + t.AUX);
}
