/** Real-time queues: calls waiting, longest wait, agents by state, service level, abandon rate. */
import { ConstantVariableBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chSeries, prom, promNow } from '../sdk/queries.js';
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
      .withVariable(
        new ConstantVariableBuilder('sl_seconds')
          .value('20')
          .description(
            'Service-level threshold T in seconds (SLUICE_SERVICE_LEVEL_MS / 1000): a bucket of sluice_queue_wait_seconds sits there.',
          ),
      )
      .withRow(new RowBuilder('Now'))
      .withPanel(stat('Calls waiting', 'short', [promNow(`sum(sluice_queue_calls_waiting{${PROM_SCOPE}})`)]))
      .withPanel(stat('Longest wait', 's', [promNow(`max(sluice_queue_longest_wait_seconds{${PROM_SCOPE}})`)]))
      .withPanel(
        stat('Agents available', 'short', [promNow('sum(sluice_agents{tenant="$tenant", state="AVAILABLE"})')], {
          description:
            "The tenant's available agents, each counted once whatever skill groups it serves (sluice_agents); the skill-group selector does not apply.",
        }),
      )
      .withPanel(
        stat(
          'Answered within T (last hour)',
          'percentunit',
          [
            promNow(
              `sum(increase(${WAITS.replace('{', '{le="$sl_seconds", ')}[1h])) / sum(increase(sluice_queue_wait_seconds_count{${PROM_SCOPE}, outcome="answered"}[1h]))`,
            ),
          ],
          {
            description: 'Share of answered calls that waited at most the service-level threshold, from the wait histogram.',
            decimals: 1,
          },
        ),
      )
      .withPanel(
        timeseries('Calls waiting', 'short', [prom(`sum by (skill_group) (sluice_queue_calls_waiting{${PROM_SCOPE}})`, '{{skill_group}}')]),
      )
      .withPanel(
        timeseries('Longest wait', 's', [
          prom(`max by (skill_group) (sluice_queue_longest_wait_seconds{${PROM_SCOPE}})`, '{{skill_group}}'),
        ]),
      )
      .withPanel(
        timeseries('Agents by state', 'short', [prom('sum by (state) (sluice_agents{tenant="$tenant"})', '{{state}}')], {
          stacked: true,
          description:
            "The tenant's agents by state, each counted once whatever skill groups it serves (sluice_agents); the skill-group selector does not apply.",
        }),
      )
      .withPanel(
        timeseries('Wait of answered calls (p50, p90)', 's', [
          prom(`histogram_quantile(0.5, sum by (le) (rate(${WAITS}[$__rate_interval])))`, 'p50'),
          prom(`histogram_quantile(0.9, sum by (le) (rate(${WAITS}[$__rate_interval])))`, 'p90'),
        ]),
      )
      .withRow(new RowBuilder('By minute (ClickHouse)'))
      .withPanel(
        timeseries(
          'Offered, answered, abandoned',
          'short',
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
          'Service level',
          'percentunit',
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, sum(answered_within_sl) / nullIf(sum(answered) + sum(abandoned) - sum(short_abandons), 0) AS "short abandons excluded", sum(answered_within_sl) / nullIf(sum(answered), 0) AS "of answered" ${MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
          {
            min: 0,
            max: 1,
            description: 'Answered within T over answered + abandoned − short abandons, and over answered (pipelines/metrics/formulas.ts).',
          },
        ),
      )
      .withPanel(
        timeseries(
          'Abandon rate',
          'percentunit',
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, sum(abandoned) / nullIf(sum(offered), 0) AS "abandoned / offered" ${MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
          { min: 0 },
        ),
      )
      .withPanel(
        timeseries('Longest wait by minute', 's', [
          chSeries(
            `SELECT $__timeInterval(window_start) AS time, skill_group, max(max_wait_ms) / 1000 AS longest_wait ${MINUTES} GROUP BY time, skill_group ORDER BY time`,
          ),
        ]),
      )
      .build(),
  );
}
