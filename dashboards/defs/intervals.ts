/** Interval reports: SL, ASA, AHT and abandon trends per 15/30-minute interval, and Sluice vs the vendor. */
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chSeries, chTable } from '../sdk/queries.js';
import { finishDashboard, intervalVariable, sluiceDashboard, table, TENANT_AND_GROUPS, timeseries } from '../sdk/panels.js';
import { SL_SQL, slThresholdVariable, slVariantVariable } from '../sdk/service-level.js';

const MINUTES = `FROM \${database}.skillgroup_minute FINAL WHERE ${TENANT_AND_GROUPS} AND $__timeFilter(window_start)`;
const BUCKET = 'toStartOfInterval(window_start, INTERVAL ${interval} MINUTE)';
const SL = SL_SQL;
const ASA = 'sum(answer_wait_ms) / nullIf(sum(answered), 0) / 1000';
const AHT = '(sum(talk_ms) + sum(hold_ms) + sum(acw_ms)) / nullIf(sum(handled), 0) / 1000';
const ABANDON = 'sum(abandoned) / nullIf(sum(offered), 0)';

/**
 * Vendor reports (scope skillgroup) beside Sluice's own sums for the same interval and skill group; the
 * minute rows are grouped by each report's own length (900 or 1800 s), as `GET /v1/reports/reconciliation`.
 */
const RECONCILIATION = `SELECT v.interval_start AS interval_start, v.key AS skill_group, v.interval_sec AS interval_sec,
  v.counters['offered'] AS vendor_offered, s.offered AS sluice_offered,
  v.counters['answered'] AS vendor_answered, s.answered AS sluice_answered,
  v.counters['abandoned'] AS vendor_abandoned, s.abandoned AS sluice_abandoned,
  vendor_offered - sluice_offered AS offered_difference
FROM (
  SELECT key, interval_start, interval_sec, counters FROM \${database}.interval_report FINAL
  WHERE tenant = \${tenant:singlequote} AND scope = 'skillgroup' AND $__conditionalAll(key IN (\${skill_group}), $skill_group) AND $__timeFilter(interval_start)
) AS v
LEFT JOIN (
  SELECT skill_group, sec, intDiv(toUnixTimestamp(window_start), sec) * sec AS start_s, sum(offered) AS offered, sum(answered) AS answered, sum(abandoned) AS abandoned
  FROM \${database}.skillgroup_minute FINAL ARRAY JOIN [900, 1800] AS sec
  WHERE ${TENANT_AND_GROUPS} AND $__timeFilter(window_start)
  GROUP BY skill_group, sec, start_s
) AS s ON s.skill_group = v.key AND s.sec = v.interval_sec AND s.start_s = toUnixTimestamp(v.interval_start)`;

/** The interval reports dashboard. */
export function intervalsDashboard(): Dashboard {
  return finishDashboard(
    sluiceDashboard({
      title: 'Sluice · Interval reports',
      uid: 'sluice-intervals',
      tags: ['sluice', 'call-center', 'reports'],
      refresh: '5m',
      from: 'now-24h',
      description:
        "Per-interval service level (the tenant's variant and threshold: $sl_variant, T = $sl_threshold s), ASA, AHT and abandon rate from the minute rows, and the vendor's interval reports reconciled against them.",
    })
      .withVariable(intervalVariable())
      .withVariable(slVariantVariable())
      .withVariable(slThresholdVariable())
      .withRow(new RowBuilder('Trends'))
      .withPanel(
        timeseries(
          'Service level · $sl_variant, T = $sl_threshold s',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning:
              'The tenant\'s one service level per report interval and skill group (variant $sl_variant, threshold T = $sl_threshold s; README, "Service level"), from the minute rows\' sums.',
          },
          [chSeries(`SELECT ${BUCKET} AS time, skill_group, ${SL} AS service_level ${MINUTES} GROUP BY time, skill_group ORDER BY time`)],
        ),
      )
      .withPanel(
        timeseries(
          'Average speed of answer',
          { unit: 's', range: [0, 3600], scope: 'tenant', meaning: 'Mean wait of answered calls, per report interval and skill group.' },
          [chSeries(`SELECT ${BUCKET} AS time, skill_group, ${ASA} AS asa ${MINUTES} GROUP BY time, skill_group ORDER BY time`)],
        ),
      )
      .withPanel(
        timeseries(
          'Average handle time',
          {
            unit: 's',
            range: [0, 7200],
            scope: 'tenant',
            meaning: 'Mean talk + hold + after-call work of handled calls, per report interval and skill group.',
            firstData: {
              afterMs: 10 * 60_000,
              because: 'a skill group has a handle time once its first calls ended (talk and after-call work take minutes)',
            },
          },
          [chSeries(`SELECT ${BUCKET} AS time, skill_group, ${AHT} AS aht ${MINUTES} GROUP BY time, skill_group ORDER BY time`)],
        ),
      )
      .withPanel(
        timeseries(
          'Abandon rate',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning: 'Abandoned over offered calls, per report interval and skill group.',
          },
          [
            chSeries(
              `SELECT ${BUCKET} AS time, skill_group, ${ABANDON} AS abandon_rate ${MINUTES} GROUP BY time, skill_group ORDER BY time`,
            ),
          ],
        ),
      )
      .withPanel(
        table(
          'Interval report',
          {
            unit: 'short',
            range: [0, 1_000_000],
            scope: 'tenant',
            meaning:
              'Per report interval and skill group: calls offered, answered and abandoned, service level, ASA, AHT, abandon rate and the longest wait.',
            columns: {
              service_level: { unit: 'percentunit', range: [0, 1] },
              abandon_rate: { unit: 'percentunit', range: [0, 1] },
              asa_s: { unit: 's', range: [0, 3600] },
              aht_s: { unit: 's', range: [0, 7200] },
              longest_wait_s: { unit: 's', range: [0, 3600] },
            },
          },
          [
            chTable(
              `SELECT ${BUCKET} AS interval_start, skill_group, sum(offered) AS offered_calls, sum(answered) AS answered_calls, sum(abandoned) AS abandoned_calls, ${SL} AS service_level, ${ASA} AS asa_s, ${AHT} AS aht_s, ${ABANDON} AS abandon_rate, max(max_wait_ms) / 1000 AS longest_wait_s ${MINUTES} GROUP BY interval_start, skill_group ORDER BY interval_start DESC, skill_group`,
            ),
          ],
          { size: { w: 24, h: 10 } },
        ),
      )
      .withRow(new RowBuilder('Sluice vs vendor'))
      .withPanel(
        timeseries(
          'Offered: vendor report vs Sluice',
          {
            unit: 'short',
            range: [0, 1_000_000],
            scope: 'tenant',
            meaning: "Calls offered per report interval as the vendor's interval report counts them and as Sluice does.",
            firstData: {
              afterMs: 20 * 60_000,
              because: "the vendor's first interval report arrives after its first 15-minute interval closes",
            },
          },
          [
            chSeries(
              `SELECT interval_start AS time, sum(vendor_offered) AS vendor, sum(sluice_offered) AS sluice FROM (${RECONCILIATION}) GROUP BY time ORDER BY time`,
            ),
          ],
          {
            bars: true,
            size: { w: 24, h: 8 },
          },
        ),
      )
      .withPanel(
        table(
          'Reconciliation by interval',
          {
            unit: 'short',
            range: [0, 1_000_000],
            scope: 'tenant',
            meaning:
              "The vendor's interval counters beside Sluice's for the same interval and skill group. A non-zero difference means the vendor and Sluice saw different calls in that interval.",
            firstData: {
              afterMs: 20 * 60_000,
              because: "the vendor's first interval report arrives after its first 15-minute interval closes",
            },
            columns: {
              interval_sec: { unit: 's', range: [900, 1800] },
              offered_difference: { unit: 'short', range: [-1_000_000, 1_000_000] },
            },
          },
          [chTable(`${RECONCILIATION}\nORDER BY interval_start DESC, skill_group`)],
          { size: { w: 24, h: 10 } },
        ),
      )
      .build(),
  );
}
