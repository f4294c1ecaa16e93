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
          {
            unit: 'ops',
            range: [0, 1_000_000],
            scope: 'platform',
            meaning: 'Events accepted per second, by source (agent, extension, skill group, interval report).',
          },
          [prom(`sum by (source) (rate(sluice_events_in_total{${JOB}}${RATE}))`, '{{source}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        timeseries(
          'Figures out per second, by source',
          {
            unit: 'ops',
            range: [0, 1_000_000],
            scope: 'platform',
            meaning: 'Window rows (and vendor reports) written to ClickHouse per second, by source.',
          },
          [prom(`sum by (source) (rate(sluice_events_out_total{${JOB}}${RATE}))`, '{{source}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        timeseries(
          'Dead-lettered, late and duplicate events',
          {
            unit: 'ops',
            range: [0, 100_000],
            scope: 'platform',
            meaning: 'Events per second refused into the dead letters (by reason), arriving after their window closed, or seen twice.',
          },
          [
            prom(`sum by (source, reason) (rate(sluice_events_dead_lettered_total{${JOB}}${RATE}))`, 'dead letter {{source}} {{reason}}'),
            prom(`sum by (source) (rate(sluice_events_late_total{${JOB}}${RATE}))`, 'late {{source}}'),
            prom(`sum by (source) (rate(sluice_events_duplicate_total{${JOB}}${RATE}))`, 'duplicate {{source}}'),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Batch size (p50, p99)',
          {
            unit: 'short',
            range: [0.99, 100_000],
            scope: 'platform',
            nonFinite: ['NaN'],
            meaning:
              'Median and 99th percentile of the messages per consumed batch (NaN, a gap, where no batch ran): 1 on the in-process bus (a bucket bound at 0.99 keeps it reading just under 1, not 0.5), up to tens of thousands per Kafka fetch; buckets in app/metric-buckets.ts.',
          },
          [
            prom(`histogram_quantile(0.5, sum by (le) (rate(sluice_pipeline_batch_size_bucket{${JOB}}${RATE})))`, 'p50'),
            prom(`histogram_quantile(0.99, sum by (le) (rate(sluice_pipeline_batch_size_bucket{${JOB}}${RATE})))`, 'p99'),
          ],
        ),
      )
      .withRow(new RowBuilder('Lag and state'))
      .withPanel(
        timeseries(
          'Consumer lag, messages',
          {
            unit: 'short',
            range: [0, 100_000_000],
            scope: 'platform',
            meaning: 'Messages the pipeline workers have still to read, in all and per worker.',
          },
          [prom(`sum(sluice_consumer_lag_messages{${JOB}})`, 'all workers'), prom(`sluice_consumer_lag_messages{${JOB}}`, '{{instance}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Consumer lag, seconds behind',
          { unit: 's', range: [0, 86_400], scope: 'platform', meaning: 'How far behind the newest message each worker reads, in seconds.' },
          [prom(`max by (instance) (sluice_consumer_lag_seconds{${JOB}})`, '{{instance}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Partitions holding window state',
          { unit: 'short', range: [0, 10_000], scope: 'platform', meaning: 'Source partitions each process holds open windows for.' },
          [prom(`sum by (instance) (sluice_window_state_partitions{${JOB}})`, '{{instance}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Window state held, by source',
          { unit: 'short', range: [0, 100_000_000], scope: 'platform', meaning: 'Open window entries held in memory, by source.' },
          [prom(`sum by (source) (sluice_window_state_entries{${JOB}})`, '{{source}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Offset commit errors',
          { unit: 'ops', range: [0, 1000], scope: 'platform', meaning: 'Failed Kafka offset commits per second.' },
          [prom(`sum(rate(sluice_consumer_commit_errors_total{${JOB}}${RATE}))`, 'commit errors')],
        ),
      )
      .withRow(new RowBuilder('ClickHouse'))
      .withPanel(
        timeseries(
          'Insert latency p99, by table',
          {
            unit: 's',
            range: [1e-4, 60],
            scope: 'platform',
            nonFinite: ['NaN'],
            meaning: '99th percentile of ClickHouse insert time, by table (NaN, a gap, where the table had no insert).',
          },
          [
            prom(
              `histogram_quantile(0.99, sum by (le, table) (rate(sluice_clickhouse_insert_duration_seconds_bucket{${JOB}}${RATE})))`,
              '{{table}}',
            ),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Rows inserted per second, and insert errors',
          {
            unit: 'ops',
            range: [0, 10_000_000],
            scope: 'platform',
            meaning: 'Rows written to ClickHouse per second by table, and failed inserts per second.',
          },
          [
            prom(`sum by (table) (rate(sluice_clickhouse_inserted_rows_total{${JOB}}${RATE}))`, '{{table}}'),
            prom(`sum(rate(sluice_clickhouse_insert_errors_total{${JOB}}${RATE}))`, 'errors'),
          ],
        ),
      )
      .withRow(new RowBuilder('Node.js and HTTP'))
      .withPanel(
        timeseries(
          'Event-loop delay',
          {
            unit: 's',
            range: [0, 1],
            scope: 'platform',
            nonFinite: ['NaN'],
            meaning:
              "How late the event loop ran a timer due every millisecond, 99th percentile and median per process (perf_hooks.monitorEventLoopDelay at 1 ms resolution, the resolution taken off), over the samples between two scrapes: about 0 when idle; NaN only before the first sample. Replaces prom-client's nodejs_eventloop_lag_* gauges, which counted their 10 ms sampling interval as lag.",
          },
          [
            prom(`max by (instance) (sluice_event_loop_delay_seconds{${JOB}, quantile="0.99"})`, 'p99 {{instance}}'),
            prom(`max by (instance) (sluice_event_loop_delay_seconds{${JOB}, quantile="0.5"})`, 'p50 {{instance}}'),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Memory',
          {
            unit: 'bytes',
            range: [10_000_000, 16e9],
            scope: 'platform',
            meaning: 'Resident memory and used JavaScript heap, per process.',
          },
          [
            prom(`sum by (instance) (process_resident_memory_bytes{${JOB}})`, 'resident {{instance}}'),
            prom(`sum by (instance) (nodejs_heap_size_used_bytes{${JOB}})`, 'heap used {{instance}}'),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'CPU',
          {
            unit: 'percentunit',
            range: [0, 4],
            scope: 'platform',
            meaning: 'CPU time per second of each process (1 = one core busy; JavaScript runs on one, GC and I/O threads add a little).',
          },
          [prom(`sum by (instance) (rate(process_cpu_seconds_total{${JOB}}${RATE}))`, '{{instance}}')],
        ),
      )
      .withPanel(
        timeseries(
          'HTTP p99 by route',
          {
            unit: 's',
            range: [1e-5, 60],
            scope: 'platform',
            nonFinite: ['NaN'],
            meaning: '99th percentile of HTTP request time, by route (NaN, a gap, where the route had no request).',
          },
          [
            prom(
              `histogram_quantile(0.99, sum by (le, route) (rate(sluice_http_request_duration_seconds_bucket{${JOB}}${RATE})))`,
              '{{route}}',
            ),
          ],
        ),
      )
      .build(),
  );
}
