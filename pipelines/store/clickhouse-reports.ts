/**
 * Skill-group interval reports in ClickHouse: Sluice's own intervals from `skillgroup_minute`, vendor
 * reports from `interval_report`, and their reconciliation. Every value a caller supplies is bound as
 * a query parameter; every table is read with FINAL.
 */
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import type { IntervalReportRow } from '../interval/rows.js';
import { numbers, select } from './clickhouse-windows.js';
import { MINUTE_COLUMNS } from './schema.js';
import {
  emptyIntervalSums,
  intervalMinutesRange,
  reconcile,
  skillGroupInterval,
  type IntervalSums,
  type ReconcileQuery,
  type ReconciliationRow,
  type SkillGroupInterval,
  type SkillGroupIntervalQuery,
} from './reports.js';
import type { IntervalReportQuery } from './types.js';

/** The columns of `skillgroup_minute` an interval sums (`sum`) or takes the maximum of (`max`): the sums first, as `IntervalSums` lists them. */
const SUMMED = [...MINUTE_COLUMNS.filter((c) => c.kind === 'sum'), ...MINUTE_COLUMNS.filter((c) => c.kind === 'max')];
/** Aggregates of every interval sum, aliased `s_<column>` (an alias equal to a column would shadow it). */
const SUMS_SQL = SUMMED.map((c) => `${c.kind}(${c.column}) AS s_${c.column}`).join(', ');
/** The same aliases, read from the joined subquery `s`. */
const JOINED_SUMS_SQL = SUMMED.map((c) => `s.s_${c.column} AS s_${c.column}`).join(', ');

function sumsOf(r: Record<string, unknown>): IntervalSums {
  const s = emptyIntervalSums();
  for (const c of SUMMED) s[c.field] = Number(r[`s_${c.column}`] ?? 0);
  return s;
}

/** Insert values of vendor interval reports. */
export function intervalReportValues(rows: IntervalReportRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    tenant: r.tenant,
    scope: r.scope,
    key: r.key,
    interval_start: r.intervalStart,
    interval_sec: r.intervalSec,
    version: r.version,
    counters: r.counters,
    event_id: r.eventId,
  }));
}

const REPORT_FILTER = `tenant = {tenant:String}
  AND interval_start >= fromUnixTimestamp64Milli({from:Int64}) AND interval_start < fromUnixTimestamp64Milli({to:Int64})
  AND ({scope:String} = '' OR scope = {scope:String}) AND ({key:String} = '' OR key = {key:String})`;

function reportOf(r: Record<string, unknown>): IntervalReportRow {
  return {
    tenant: String(r.tenant),
    scope: String(r.scope) as IntervalReportRow['scope'],
    key: String(r.key),
    intervalStart: Number(r.start_ms),
    intervalSec: Number(r.interval_sec),
    version: Number(r.version),
    counters: numbers(r.counters),
    eventId: String(r.event_id),
  };
}

/** Latest vendor report of each interval (FINAL). */
export async function queryIntervalReports(ch: ClickHouse, q: IntervalReportQuery): Promise<IntervalReportRow[]> {
  const rows = await select(
    ch,
    `SELECT tenant, scope, key, toUnixTimestamp64Milli(interval_start) AS start_ms, interval_sec, version, counters, event_id
     FROM ${ch.database}.interval_report FINAL WHERE ${REPORT_FILTER}
     ORDER BY scope, key, interval_start, interval_sec`,
    { tenant: q.tenant, from: q.from, to: q.to, scope: q.scope ?? '', key: q.key ?? '' },
  );
  return rows.map(reportOf);
}

/** Sluice's skill-group intervals: minute rows (FINAL) summed per interval. */
export async function querySkillGroupIntervals(ch: ClickHouse, q: SkillGroupIntervalQuery): Promise<SkillGroupInterval[]> {
  const ms = q.intervalMinutes * 60_000;
  const range = intervalMinutesRange(q.from, q.to, ms);
  const rows = await select(
    ch,
    `SELECT skill_group, intDiv(toUnixTimestamp64Milli(window_start), {ms:Int64}) * {ms:Int64} AS interval_ms, count() AS minutes, ${SUMS_SQL}
     FROM ${ch.database}.skillgroup_minute FINAL
     WHERE tenant = {tenant:String}
       AND window_start >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64})
       AND ({skillGroup:String} = '' OR skill_group = {skillGroup:String})
     GROUP BY skill_group, interval_ms
     ORDER BY skill_group, interval_ms`,
    { tenant: q.tenant, ms, ...range, skillGroup: q.skillGroup ?? '' },
  );
  return rows.map((r) =>
    skillGroupInterval(
      { tenant: q.tenant, skillGroup: String(r.skill_group), intervalStart: Number(r.interval_ms), intervalSec: ms / 1000 },
      Number(r.minutes),
      sumsOf(r),
    ),
  );
}

/**
 * Vendor skill-group reports beside Sluice's minute sums for the same interval. Sluice's side is
 * summed per 15- and per 30-minute interval (ARRAY JOIN over both lengths) and joined on
 * (skill group, start, length), so each vendor row meets the sums of exactly its own interval.
 */
export async function queryReconciliation(ch: ClickHouse, q: ReconcileQuery): Promise<ReconciliationRow[]> {
  const rows = await select(
    ch,
    `SELECT v.tenant AS tenant, v.scope AS scope, v.key AS key, toUnixTimestamp64Milli(v.interval_start) AS start_ms, v.interval_sec AS interval_sec,
            v.version AS version, v.counters AS counters, v.event_id AS event_id, s.minutes AS minutes, ${JOINED_SUMS_SQL}
     FROM (SELECT * FROM ${ch.database}.interval_report FINAL WHERE ${REPORT_FILTER}) AS v
     LEFT JOIN (
       SELECT skill_group, sec, intDiv(toUnixTimestamp64Milli(window_start), sec * 1000) * sec * 1000 AS interval_ms, count() AS minutes, ${SUMS_SQL}
       FROM ${ch.database}.skillgroup_minute FINAL
       ARRAY JOIN [900, 1800] AS sec
       WHERE tenant = {tenant:String}
         AND window_start >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64}) + INTERVAL 1800 SECOND
         AND ({key:String} = '' OR skill_group = {key:String})
       GROUP BY skill_group, sec, interval_ms
     ) AS s ON s.skill_group = v.key AND s.sec = v.interval_sec AND s.interval_ms = toUnixTimestamp64Milli(v.interval_start)
     ORDER BY key, start_ms, interval_sec`,
    { tenant: q.tenant, from: q.from, to: q.to, scope: 'skillgroup', key: q.skillGroup ?? '' },
  );
  return rows.map((r) => reconcile(reportOf(r), Number(r.minutes ?? 0), sumsOf(r)));
}
