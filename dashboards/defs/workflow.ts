/** Workflow: open tickets, SLA warnings and breaches by flow and node, timer lateness. */
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chSeries, chTable, prom, promNow } from '../sdk/queries.js';
import { finishDashboard, sluiceDashboard, stat, table, TENANT_AND_GROUPS, timeseries } from '../sdk/panels.js';

const WARNINGS = 'FROM ${database}.sla_warnings WHERE tenant = ${tenant:singlequote} AND $__timeFilter(ts)';
const EVENTS = 'FROM ${database}.ticket_events WHERE tenant = ${tenant:singlequote} AND $__timeFilter(ts)';

/** The workflow dashboard. */
export function workflowDashboard(): Dashboard {
  return finishDashboard(
    sluiceDashboard({
      title: 'Sluice · Workflow',
      uid: 'sluice-workflow',
      tags: ['sluice', 'workflow'],
      refresh: '30s',
      from: 'now-24h',
      description:
        'Tickets by state (read at scrape time from the ticket store), SLA warnings and breaches from the history in ClickHouse, SLA timer lateness.',
    })
      .withRow(new RowBuilder('Tickets'))
      .withPanel(
        stat(
          'Open tickets',
          {
            unit: 'short',
            range: [0, 1_000_000],
            scope: 'tenant',
            meaning:
              'Tickets of the tenant not closed. Every workflow instance reads the same store: max across instances, then the sum over states.',
          },
          [promNow('sum(max by (state) (sluice_workflow_tickets{tenant="$tenant", state!="closed"}))')],
        ),
      )
      .withPanel(
        stat(
          'SLA breaches (range)',
          { unit: 'short', range: [0, 1_000_000], scope: 'platform', meaning: 'SLA breaches over the time range, all tenants.' },
          [promNow('sum(increase(sluice_sla_warnings_total{kind="breach"}[$__range]))')],
        ),
      )
      .withPanel(
        stat(
          'SLA timer lateness p99',
          {
            unit: 's',
            range: [0, 5],
            scope: 'platform',
            meaning: '99th percentile over the time range of how late SLA timers fired after their due time.',
          },
          [promNow('histogram_quantile(0.99, sum by (le) (rate(sluice_sla_timer_lateness_seconds_bucket[$__range])))')],
        ),
      )
      .withPanel(
        stat(
          'Callers sent to callback',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning:
              "Routing decisions of the selected skill groups that opened a callback ticket, per interval: calls routed to the callback channel, and calls diverted at a level whose policy opens a ticket on diversion (the ticket's id is `cb-` and the decision's).",
          },
          [
            chSeries(
              `SELECT $__timeInterval(ts) AS time, count() AS callbacks FROM \${database}.route_decisions WHERE ${TENANT_AND_GROUPS} AND $__timeFilter(ts) AND (target = 'callback' OR concat('cb-', decision_id) IN (SELECT ticket_id ${EVENTS} AND event = 'ticket.created')) GROUP BY time ORDER BY time`,
            ),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Tickets by state',
          { unit: 'short', range: [0, 1_000_000], scope: 'tenant', meaning: "The tenant's tickets by state, stacked." },
          [prom('max by (state) (sluice_workflow_tickets{tenant="$tenant"})', '{{state}}')],
          {
            stacked: true,
          },
        ),
      )
      .withPanel(
        timeseries(
          'Ticket transitions',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning: "The tenant's ticket state transitions per interval, by the state entered.",
          },
          [prom('sum by (state) (increase(sluice_workflow_ticket_transitions_total{tenant="$tenant"}[$__rate_interval]))', '{{state}}')],
          { bars: true },
        ),
      )
      .withPanel(
        timeseries(
          'Tickets opened and closed by flow',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning: 'Tickets created and closed per interval, by flow (ticket history).',
          },
          [
            chSeries(
              `SELECT $__timeInterval(ts) AS time, concat(flow_id, ' ', event) AS series, count() AS tickets ${EVENTS} AND event IN ('ticket.created', 'ticket.closed') GROUP BY time, series ORDER BY time`,
            ),
          ],
          { bars: true, size: { w: 24, h: 8 } },
        ),
      )
      .withRow(new RowBuilder('SLA'))
      .withPanel(
        timeseries(
          'SLA warnings by level',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning: "The tenant's SLA warnings and breaches per interval by escalation level.",
          },
          [prom('sum by (kind, level) (increase(sluice_sla_warnings_total{tenant="$tenant"}[$__rate_interval]))', '{{kind}} L{{level}}')],
          { bars: true },
        ),
      )
      .withPanel(
        timeseries(
          'SLA warnings and breaches',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning: "The tenant's SLA warnings and breaches per interval (history in ClickHouse).",
          },
          [chSeries(`SELECT $__timeInterval(ts) AS time, kind, count() AS timers ${WARNINGS} GROUP BY time, kind ORDER BY time`)],
          { bars: true },
        ),
      )
      .withPanel(
        table(
          'SLA warnings and breaches by flow and node',
          {
            unit: 'short',
            range: [0, 1_000_000],
            scope: 'tenant',
            meaning:
              'Per flow and node over the time range: warnings, breaches, the highest escalation level, warnings not delivered, and the latest a timer fired.',
            columns: { highest_level: { unit: 'short', range: [0, 100] }, worst_lateness_s: { unit: 's', range: [0, 60] } },
          },
          [
            chTable(
              `SELECT flow_id, node_id, countIf(kind = 'warning') AS warnings, countIf(kind = 'breach') AS breaches, max(level) AS highest_level, countIf(delivered = 0) AS undelivered, max(lateness_ms) / 1000 AS worst_lateness_s ${WARNINGS} GROUP BY flow_id, node_id ORDER BY breaches DESC, warnings DESC`,
            ),
          ],
          { size: { w: 24, h: 8 } },
        ),
      )
      .withPanel(
        table(
          'SLA clocks by flow and node (ticket history)',
          {
            unit: 'short',
            range: [0, 1_000_000],
            scope: 'tenant',
            meaning:
              'Per flow and node over the time range: SLA clocks started and stopped, stopped after a breach, and the mean time a stopped clock ran (empty where no clock stopped: no mean, not NaN).',
            columns: { avg_elapsed_s: { unit: 's', range: [0, 31_536_000] } },
          },
          [
            chTable(
              `SELECT flow_id, node_id, countIf(event = 'sla.started') AS started, countIf(event = 'sla.stopped') AS stopped, countIf(breached = 1) AS stopped_breached, avgIfOrNull(elapsed_ms, event = 'sla.stopped') / 1000 AS avg_elapsed_s ${EVENTS} AND event IN ('sla.started', 'sla.stopped') GROUP BY flow_id, node_id ORDER BY stopped_breached DESC, started DESC`,
            ),
          ],
          { size: { w: 12, h: 8 } },
        ),
      )
      .withPanel(
        timeseries(
          'SLA timer lateness (p50, p99)',
          {
            unit: 's',
            range: [0, 5],
            scope: 'platform',
            nonFinite: ['NaN'],
            meaning:
              "Median and 99th percentile of how late SLA timers fired after their due time; NaN, a gap, where no timer fired. The timer loop fires every tenant's timers. A bucket bound at 0 makes on-time timers read 0 (app/metric-buckets.ts).",
          },
          [
            prom('histogram_quantile(0.5, sum by (le) (rate(sluice_sla_timer_lateness_seconds_bucket[$__rate_interval])))', 'p50'),
            prom('histogram_quantile(0.99, sum by (le) (rate(sluice_sla_timer_lateness_seconds_bucket[$__rate_interval])))', 'p99'),
          ],
        ),
      )
      .build(),
  );
}
