/** Engine health: throughput by source, dead letters and late events, consumer lag, inserts, event loop. */
import { QueryVariableBuilder, RowBuilder, VariableRefresh, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { finishDashboard, sluiceDashboard, timeseries } from '../sdk/panels.js';
import { prom, PROMETHEUS } from '../sdk/queries.js';

const RATE = '[$__rate_interval]';
const JOB = 'job=~"$job"';

/** The engine health dashboard (Prometheus only: Sluice's `/metrics` of every process, summed). */
export function engineDashboard(): Dashboard {
  return finishDashboard(
    sluiceDashboard({
      title: 'Sluice · Engine health',
      uid: 'sluice-engine',
      tags: ['sluice', 'engine'],
      refresh: '10s',
      from: 'now-3h',
      callCenterVariables: false,
      description:
        'Throughput, lag and latency of every Sluice process; counters are summed across processes, per-process gauges shown by instance where they differ.',
    })
      .withVariable(
        new QueryVariableBuilder('job')
          .label('Job')
          .datasource({ ...PROMETHEUS })
          .query('label_values(sluice_events_in_total, job)')
          .refresh(VariableRefresh.OnTimeRangeChanged)
          .multi(true)
          .includeAll(true)
          .allValue('.+'),
      )
      .withRow(new RowBuilder('Throughput'))
      .withPanel(
        timeseries(
          'Events in per second, by source',
          'ops',
          [prom(`sum by (source) (rate(sluice_events_in_total{${JOB}}${RATE}))`, '{{source}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        timeseries(
          'Figures out per second, by source',
          'ops',
          [prom(`sum by (source) (rate(sluice_events_out_total{${JOB}}${RATE}))`, '{{source}}')],
          { stacked: true, description: 'Window rows (and vendor reports) written to ClickHouse.' },
        ),
      )
      .withPanel(
        timeseries('Dead-lettered, late and duplicate events', 'ops', [
          prom(`sum by (source, reason) (rate(sluice_events_dead_lettered_total{${JOB}}${RATE}))`, 'dead letter {{source}} {{reason}}'),
          prom(`sum by (source) (rate(sluice_events_late_total{${JOB}}${RATE}))`, 'late {{source}}'),
          prom(`sum by (source) (rate(sluice_events_duplicate_total{${JOB}}${RATE}))`, 'duplicate {{source}}'),
        ]),
      )
      .withPanel(
        timeseries(
          'Batch size (p50, p99)',
          'short',
          [
            prom(`histogram_quantile(0.5, sum by (le) (rate(sluice_pipeline_batch_size_bucket{${JOB}}${RATE})))`, 'p50'),
            prom(`histogram_quantile(0.99, sum by (le) (rate(sluice_pipeline_batch_size_bucket{${JOB}}${RATE})))`, 'p99'),
          ],
          {
            description:
              'Messages per consumed batch: 1 on the in-process bus (a bucket bound at 0.99 keeps it reading 1, not 0.5), up to tens of thousands per Kafka fetch; buckets in app/metric-buckets.ts.',
          },
        ),
      )
      .withRow(new RowBuilder('Lag and state'))
      .withPanel(
        timeseries('Consumer lag, messages', 'short', [
          prom(`sum(sluice_consumer_lag_messages{${JOB}})`, 'all workers'),
          prom(`sluice_consumer_lag_messages{${JOB}}`, '{{instance}}'),
        ]),
      )
      .withPanel(
        timeseries('Consumer lag, seconds behind', 's', [prom(`max by (instance) (sluice_consumer_lag_seconds{${JOB}})`, '{{instance}}')]),
      )
      .withPanel(
        timeseries('Partitions holding window state', 'short', [
          prom(`sum by (instance) (sluice_window_state_partitions{${JOB}})`, '{{instance}}'),
        ]),
      )
      .withPanel(
        timeseries('Window state held, by source', 'short', [prom(`sum by (source) (sluice_window_state_entries{${JOB}})`, '{{source}}')]),
      )
      .withPanel(
        timeseries('Offset commit errors', 'ops', [prom(`sum(rate(sluice_consumer_commit_errors_total{${JOB}}${RATE}))`, 'commit errors')]),
      )
      .withRow(new RowBuilder('ClickHouse'))
      .withPanel(
        timeseries('Insert latency p99, by table', 's', [
          prom(
            `histogram_quantile(0.99, sum by (le, table) (rate(sluice_clickhouse_insert_duration_seconds_bucket{${JOB}}${RATE})))`,
            '{{table}}',
          ),
        ]),
      )
      .withPanel(
        timeseries('Rows inserted per second, and insert errors', 'ops', [
          prom(`sum by (table) (rate(sluice_clickhouse_inserted_rows_total{${JOB}}${RATE}))`, '{{table}}'),
          prom(`sum(rate(sluice_clickhouse_insert_errors_total{${JOB}}${RATE}))`, 'errors'),
        ]),
      )
      .withRow(new RowBuilder('Node.js and HTTP'))
      .withPanel(
        timeseries(
          'Event-loop delay',
          's',
          [
            prom(`max by (instance) (sluice_event_loop_delay_seconds{${JOB}, quantile="0.99"})`, 'p99 {{instance}}'),
            prom(`max by (instance) (sluice_event_loop_delay_seconds{${JOB}, quantile="0.5"})`, 'p50 {{instance}}'),
          ],
          {
            description:
              "How late the event loop ran a timer due every millisecond (perf_hooks.monitorEventLoopDelay at 1 ms resolution, the resolution taken off), over the samples between two scrapes: about 0 when idle. Replaces prom-client's nodejs_eventloop_lag_* gauges, which counted their 10 ms sampling interval as lag.",
          },
        ),
      )
      .withPanel(
        timeseries('Memory', 'bytes', [
          prom(`sum by (instance) (process_resident_memory_bytes{${JOB}})`, 'resident {{instance}}'),
          prom(`sum by (instance) (nodejs_heap_size_used_bytes{${JOB}})`, 'heap used {{instance}}'),
        ]),
      )
      .withPanel(
        timeseries('CPU', 'percentunit', [prom(`sum by (instance) (rate(process_cpu_seconds_total{${JOB}}${RATE}))`, '{{instance}}')]),
      )
      .withPanel(
        timeseries('HTTP p99 by route', 's', [
          prom(
            `histogram_quantile(0.99, sum by (le, route) (rate(sluice_http_request_duration_seconds_bucket{${JOB}}${RATE})))`,
            '{{route}}',
          ),
        ]),
      )
      .build(),
  );
}
