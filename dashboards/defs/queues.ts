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
            meaning: 'How long the longest-waiting call of the selected skill groups has waited so far.',
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
              'Agents available now in the selected skill groups. An agent serving several of the selected skill groups counts in each.',
          },
          [promNow(`sum(sluice_queue_agents{${PROM_SCOPE}, state="AVAILABLE"})`)],
        ),
      )
      .withPanel(
        stat(
          'Answered within T (last hour)',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning: 'Share of answered calls that waited at most the service-level threshold, from the wait histogram.',
          },
          [
            promNow(
              `sum(increase(${WAITS.replace('{', '{le="$sl_seconds", ')}[1h])) / sum(increase(sluice_queue_wait_seconds_count{${PROM_SCOPE}, outcome="answered"}[1h]))`,
            ),
          ],
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
          { unit: 's', range: [0, 3600], scope: 'tenant', meaning: 'Wait so far of the longest-waiting call, by skill group.' },
          [prom(`max by (skill_group) (sluice_queue_longest_wait_seconds{${PROM_SCOPE}})`, '{{skill_group}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Agents by state',
          { unit: 'short', range: [0, 10_000], scope: 'tenant', meaning: 'Agents of the selected skill groups by state, stacked.' },
          [prom(`sum by (state) (sluice_queue_agents{${PROM_SCOPE}})`, '{{state}}')],
          {
            stacked: true,
          },
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
          'Service level',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning: 'Answered within T over answered + abandoned − short abandons, and over answered (pipelines/metrics/formulas.ts).',
          },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, sum(answered_within_sl) / nullIf(sum(answered) + sum(abandoned) - sum(short_abandons), 0) AS "short abandons excluded", sum(answered_within_sl) / nullIf(sum(answered), 0) AS "of answered" ${MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
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
