/** Real-time queues: calls waiting, longest wait, agents by state, service level, abandon rate. */
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chSeries, prom, promNow } from '../sdk/queries.js';
import { SL_BY_GROUP_TITLE, SL_SQL, slPromQL, slThresholdVariable, slVariantVariable } from '../sdk/service-level.js';
import { finishDashboard, PROM_SCOPE, sluiceDashboard, stat, TENANT_AND_GROUPS, timeseries } from '../sdk/panels.js';

const MINUTES = `FROM \${database}.skillgroup_minute FINAL WHERE ${TENANT_AND_GROUPS} AND $__timeFilter(window_start)`;
const WAITS = `sluice_queue_wait_seconds_bucket{${PROM_SCOPE}, outcome="answered"}`;

/** The real-time queues dashboard. */
export function queuesDashboard(): Dashboard {
  return finishDashboard(
    sluiceDashboard({
      title: 'Sluice · Real-time queues',
      uid: 'sluice-queues',
      tags: ['sluice', 'call-center'],
      refresh: '10s',
      from: 'now-6h',
      description: 'Queues now (Prometheus, read at scrape time from the pipelines) and by minute (ClickHouse).',
    })
      .withVariable(slVariantVariable())
      .withVariable(slThresholdVariable())
      .withRow(new RowBuilder('Now'))
      .withPanel(
        stat(
          'Calls waiting',
          {
            unit: 'short',
            range: [0, 10_000],
            scope: 'tenant',
            meaning: 'Calls waiting in the queues of the selected skill groups now, summed.',
          },
          [promNow(`sum(sluice_queue_calls_waiting{${PROM_SCOPE}})`)],
        ),
      )
      .withPanel(
        stat(
          'Longest wait',
          {
            unit: 's',
            range: [0, 3600],
            scope: 'tenant',
            meaning:
              "How long the longest-waiting call of the selected skill groups has waited so far, as of its queue's event time (while the pipeline catches up on a backlog, the wait it had then).",
          },
          [promNow(`max(sluice_queue_longest_wait_seconds{${PROM_SCOPE}})`)],
        ),
      )
      .withPanel(
        stat(
          'Agents available',
          {
            unit: 'short',
            range: [0, 10_000],
            scope: 'tenant',
            meaning:
              "The tenant's available agents now, each counted once whatever skill groups it serves (sluice_agents); the skill-group selector does not apply.",
          },
          [promNow('sum(sluice_agents{tenant="$tenant", state="AVAILABLE"})')],
        ),
      )
      .withPanel(
        stat(
          'Service level (last hour) · $sl_variant, T = $sl_threshold s',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            nonFinite: ['NaN'],
            meaning:
              'The tenant\'s one service level (variant $sl_variant, threshold T = $sl_threshold s; README, "Service level") over the last hour, from the sluice_queue_*_total counters (answered within T counted when the answer is observed): the selected skill groups together; NaN where no call was answered or abandoned in the hour.',
          },
          [promNow(slPromQL(PROM_SCOPE, '1h'))],
          { decimals: 1 },
        ),
      )
      .withPanel(
        timeseries('Calls waiting', { unit: 'short', range: [0, 10_000], scope: 'tenant', meaning: 'Calls waiting now, by skill group.' }, [
          prom(`sum by (skill_group) (sluice_queue_calls_waiting{${PROM_SCOPE}})`, '{{skill_group}}'),
        ]),
      )
      .withPanel(
        timeseries(
          'Longest wait',
          {
            unit: 's',
            range: [0, 3600],
            scope: 'tenant',
            meaning:
              "Wait so far of the longest-waiting call, by skill group, as of its queue's event time (while the pipeline catches up on a backlog, the wait it had then).",
          },
          [prom(`max by (skill_group) (sluice_queue_longest_wait_seconds{${PROM_SCOPE}})`, '{{skill_group}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Agents by state',
          {
            unit: 'short',
            range: [0, 10_000],
            scope: 'tenant',
            meaning:
              "The tenant's agents by state, stacked, each counted once whatever skill groups it serves (sluice_agents); the skill-group selector does not apply.",
          },
          [prom('sum by (state) (sluice_agents{tenant="$tenant"})', '{{state}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        timeseries(
          SL_BY_GROUP_TITLE,
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning:
              "sluice_service_level: each skill group's service level in the tenant's variant over the last 60 closed minutes, the figure the wallboard and GET /v1/realtime/skillgroups show (absent while no call was answered or abandoned).",
          },
          [prom(`max by (skill_group) (sluice_service_level{${PROM_SCOPE}})`, '{{skill_group}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Wait of answered calls (p50, p90)',
          {
            unit: 's',
            range: [0, 3600],
            scope: 'tenant',
            nonFinite: ['NaN'],
            meaning:
              'Median and 90th percentile of how long answered calls waited, from the wait histogram; NaN, a gap, where no call was answered.',
          },
          [
            prom(`histogram_quantile(0.5, sum by (le) (rate(${WAITS}[$__rate_interval])))`, 'p50'),
            prom(`histogram_quantile(0.9, sum by (le) (rate(${WAITS}[$__rate_interval])))`, 'p90'),
          ],
        ),
      )
      .withRow(new RowBuilder('By minute (ClickHouse)'))
      .withPanel(
        timeseries(
          'Offered, answered, abandoned',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning: 'Calls offered, answered and abandoned per interval (minute rows).',
          },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, sum(offered) AS offered, sum(answered) AS answered, sum(abandoned) AS abandoned ${MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
          { bars: true },
        ),
      )
      .withPanel(
        timeseries(
          'Service level · $sl_variant, T = $sl_threshold s',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning:
              'The tenant\'s one service level by minute (variant $sl_variant, threshold T = $sl_threshold s; README, "Service level"), from the minute rows\' sums.',
          },
          [chSeries(`SELECT $__timeInterval(window_start) AS time, ${SL_SQL} AS service_level ${MINUTES} GROUP BY time ORDER BY time`)],
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
            meaning: 'Abandoned calls over offered calls, per interval.',
          },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, sum(abandoned) / nullIf(sum(offered), 0) AS "abandoned / offered" ${MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Longest wait by minute',
          { unit: 's', range: [0, 3600], scope: 'tenant', meaning: 'The longest wait of any call in the interval, by skill group.' },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, skill_group, max(max_wait_ms) / 1000 AS longest_wait ${MINUTES} GROUP BY time, skill_group ORDER BY time`,
            ),
          ],
        ),
      )
      .build(),
  );
}
