/**
 * Interval reports computed from stored rows, shared by both {@link TelemetryQueries} implementations:
 * the store sums raw rows (SQL in ClickHouse, loops in memory); the figures are computed here, with
 * the formulas of pipelines/metrics/formulas.ts, so both give the same answer.
 */
import type { AgentState } from '../events/types.js';
import {
  abandonRate,
  averageHandleTime,
  averageSpeedOfAnswer,
  averageTalkTime,
  handleTime,
  occupancy,
  overflowRate,
  serviceLevels,
  transferRate,
  utilisation,
  type ServiceLevelVariant,
} from '../metrics/formulas.js';
import type { IntervalReportRow } from '../interval/rows.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import { minuteFields } from './schema.js';

/** Raw sums of one skill group over an interval: the sums of its minute rows (max for the maxima and thresholds). Durations in ms. */
export type IntervalSums = Omit<MinuteRow, 'tenant' | 'skillGroup' | 'windowStart' | 'version' | 'final'>;

/** Fields of {@link IntervalSums} that add up (`sum` columns of `MINUTE_COLUMNS`, schema.ts); the others take the maximum. */
export const ADDED_SUMS = minuteFields('sum');
/** Fields of {@link IntervalSums} taken as the maximum over the minutes (`maxWaitMs`, `serviceLevelMs`, `shortAbandonMs`). */
export const MAX_SUMS = minuteFields('max');

/** Zeroed sums. */
export function emptyIntervalSums(): IntervalSums {
  const s = {} as IntervalSums;
  for (const k of [...ADDED_SUMS, ...MAX_SUMS]) s[k] = 0;
  return s;
}

/** Adds one minute row into `into`; returns `into`. */
export function addMinute(into: IntervalSums, r: IntervalSums): IntervalSums {
  for (const k of ADDED_SUMS) into[k] += r[k];
  for (const k of MAX_SUMS) into[k] = Math.max(into[k], r[k]);
  return into;
}

/** Query of {@link TelemetryQueries.skillGroupIntervals}: intervals whose start lies in [from, to) (epoch ms), each whole. */
export interface SkillGroupIntervalQuery {
  tenant: string;
  from: number;
  to: number;
  intervalMinutes: 15 | 30;
  skillGroup?: string;
}

/** Sluice's own figures of one skill group over one interval. Durations in ms, ratios 0–1 (null when undefined). */
export interface SkillGroupInterval {
  tenant: string;
  skillGroup: string;
  /** Epoch ms. */
  intervalStart: number;
  /** 900 or 1800. */
  intervalSec: number;
  /** Minute rows found in the interval (at most intervalSec / 60). */
  minutes: number;
  sums: IntervalSums;
  serviceLevel: Record<ServiceLevelVariant, number | null>;
  asaMs: number | null;
  ahtMs: number | null;
  avgTalkMs: number | null;
  abandonRate: { offered: number | null; queued: number | null };
  /** Longest wait of a call that left the queue in the interval; null when none did. */
  longestWaitMs: number | null;
  transferRate: number | null;
  overflowRate: number | null;
}

/** The first minute and the end (epoch ms) of the minutes making up every interval starting in [from, to). */
export function intervalMinutesRange(from: number, to: number, intervalMs: number): { from: number; to: number } {
  return { from: Math.ceil(from / intervalMs) * intervalMs, to: Math.ceil(to / intervalMs) * intervalMs };
}

/** Start of the interval holding `ts`, epoch ms. */
export function intervalOf(ts: number, intervalMs: number): number {
  return Math.floor(ts / intervalMs) * intervalMs;
}

/** Figures of one skill-group interval from its summed minute rows. */
export function skillGroupInterval(
  key: { tenant: string; skillGroup: string; intervalStart: number; intervalSec: number },
  minutes: number,
  sums: IntervalSums,
): SkillGroupInterval {
  const exits = sums.answered + sums.abandoned + sums.overflowed;
  return {
    ...key,
    minutes,
    sums,
    serviceLevel: serviceLevels(sums),
    asaMs: averageSpeedOfAnswer(sums),
    ahtMs: averageHandleTime(sums),
    avgTalkMs: averageTalkTime(sums),
    abandonRate: { offered: abandonRate(sums, 'offered'), queued: abandonRate(sums, 'queued') },
    longestWaitMs: exits > 0 ? sums.maxWaitMs : null,
    transferRate: transferRate(sums),
    overflowRate: overflowRate(sums),
  };
}

/** Query of {@link TelemetryQueries.agentIntervals}: intervals whose start lies in [from, to) (epoch ms). */
export interface AgentIntervalQuery {
  tenant: string;
  from: number;
  to: number;
  intervalMinutes: 15 | 30;
  agentId?: string;
}

/** One agent's figures over one interval, in seconds; occupancy and utilisation are ratios 0–1 (null when undefined). */
export interface AgentInterval {
  tenant: string;
  agentId: string;
  /** Epoch ms. */
  intervalStart: number;
  intervalSec: number;
  /** Minute rows found in the interval. */
  minutes: number;
  /** Seconds in each state (LOGGED_OUT is not accumulated: always 0). */
  stateSec: Record<AgentState, number>;
  /** State entries (ON_CALL: calls handled; LOGGED_OUT: logouts). */
  entries: Record<AgentState, number>;
  /** AUX seconds by reason code. */
  auxSecByReason: Record<string, number>;
  callsHandled: number;
  /** Seconds logged in (every state but LOGGED_OUT). */
  staffedSec: number;
  /** Seconds on a call, on hold or in after-call work. */
  handleSec: number;
  occupancy: number | null;
  utilisation: number | null;
}

/** Figures of one agent interval from its summed minute rows (times in ms). */
export function agentInterval(
  key: { tenant: string; agentId: string; intervalStart: number; intervalSec: number },
  minutes: number,
  ms: Record<AgentState, number>,
  entries: Record<AgentState, number>,
  auxMsByReason: Record<string, number>,
): AgentInterval {
  const sec = (v: number) => v / 1000;
  const stateSec = Object.fromEntries(Object.entries(ms).map(([s, v]) => [s, sec(v)])) as Record<AgentState, number>;
  const auxSecByReason = Object.fromEntries(
    Object.entries(auxMsByReason)
      .filter(([, v]) => v !== 0)
      .map(([r, v]) => [r, sec(v)]),
  );
  const staffed = ms.AVAILABLE + ms.RINGING + ms.ON_CALL + ms.HOLD + ms.ACW + ms.AUX;
  return {
    ...key,
    minutes,
    stateSec,
    entries: { ...entries },
    auxSecByReason,
    callsHandled: entries.ON_CALL,
    staffedSec: sec(staffed),
    handleSec: sec(handleTime(ms)),
    occupancy: occupancy(ms),
    utilisation: utilisation(ms),
  };
}

/** Counters compared by {@link reconcile}: vendor counter name = field of the result. */
export const RECONCILED_COUNTERS = [
  'offered',
  'answered',
  'abandoned',
  'answeredWithinSl',
  'abandonedWithinSl',
  'overflowed',
  'handled',
  'transferred',
  'talkSec',
  'holdSec',
  'acwSec',
] as const;
/** One of {@link RECONCILED_COUNTERS}. */
export type ReconciledCounter = (typeof RECONCILED_COUNTERS)[number];

/** Query of {@link TelemetryQueries.reconcileIntervals}: vendor skill-group intervals starting in [from, to) (epoch ms). */
export interface ReconcileQuery {
  tenant: string;
  from: number;
  to: number;
  skillGroup?: string;
}

/** A vendor's skill-group interval next to Sluice's own figures for the same interval. */
export interface ReconciliationRow {
  tenant: string;
  skillGroup: string;
  /** Epoch ms. */
  intervalStart: number;
  intervalSec: number;
  /** As the vendor reported (null: the report had no such counter). Seconds for `*Sec`. */
  vendor: Record<ReconciledCounter, number | null>;
  /** Sums of Sluice's minute rows over the interval. Seconds for `*Sec`. */
  sluice: Record<ReconciledCounter, number>;
  /** sluice − vendor (null where the vendor gave nothing). */
  difference: Record<ReconciledCounter, number | null>;
  /** Counters that disagree: any difference in a count, a second or more in a time (vendors report whole seconds). */
  mismatched: ReconciledCounter[];
  /** Minute rows Sluice has for the interval (0: Sluice saw nothing of it). */
  sluiceMinutes: number;
  /** Sluice's service-level threshold for "within", ms: a vendor counting against another T differs for that reason. */
  serviceLevelMs: number;
}

/** Compares one vendor report with Sluice's summed minute rows for its interval. */
export function reconcile(report: IntervalReportRow, minutes: number, sums: IntervalSums): ReconciliationRow {
  const ours: Record<ReconciledCounter, number> = {
    offered: sums.offered,
    answered: sums.answered,
    abandoned: sums.abandoned,
    answeredWithinSl: sums.answeredWithinSl,
    abandonedWithinSl: sums.abandonedWithinSl,
    overflowed: sums.overflowed,
    handled: sums.handled,
    transferred: sums.transferred,
    talkSec: sums.talkMs / 1000,
    holdSec: sums.holdMs / 1000,
    acwSec: sums.acwMs / 1000,
  };
  const vendor = {} as Record<ReconciledCounter, number | null>;
  const difference = {} as Record<ReconciledCounter, number | null>;
  const mismatched: ReconciledCounter[] = [];
  for (const c of RECONCILED_COUNTERS) {
    const v = report.counters[c];
    vendor[c] = v ?? null;
    difference[c] = v === undefined ? null : ours[c] - v;
    const d = difference[c];
    if (d !== null && Math.abs(d) >= (c.endsWith('Sec') ? 1 : Number.MIN_VALUE)) mismatched.push(c);
  }
  return {
    tenant: report.tenant,
    skillGroup: report.key,
    intervalStart: report.intervalStart,
    intervalSec: report.intervalSec,
    vendor,
    sluice: ours,
    difference,
    mismatched,
    sluiceMinutes: minutes,
    serviceLevelMs: sums.serviceLevelMs,
  };
}
