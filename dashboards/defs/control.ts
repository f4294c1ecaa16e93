/** Control: degradation levels over time, breaker states, diversions by channel, admission, route latency. */
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chSeries, chTable, prom } from '../sdk/queries.js';
import { finishDashboard, sluiceDashboard, table, TENANT_AND_GROUPS, timeline, timeseries } from '../sdk/panels.js';

const DECISIONS = `FROM \${database}.route_decisions WHERE ${TENANT_AND_GROUPS} AND $__timeFilter(ts)`;
/** Level changes of the selected skill groups and of the whole tenant (skill_group = ''). */
const LEVEL_CHANGES = `FROM \${database}.level_changes WHERE tenant = \${tenant:singlequote} AND (skill_group = '' OR $__conditionalAll(skill_group IN (\${skill_group}), $skill_group)) AND $__timeFilter(ts)`;

/** The control dashboard. */
export function controlDashboard(): Dashboard {
  return finishDashboard(
    sluiceDashboard({
      title: 'Sluice · Control',
      uid: 'sluice-control',
      tags: ['sluice', 'control'],
      refresh: '10s',
      from: 'now-6h',
      description:
        'Degradation levels (L0–L3) and their changes, circuit breakers, where calls were routed (decision log in ClickHouse), admission and decision time.',
    })
      .withRow(new RowBuilder('Levels'))
      .withPanel(
        timeline(
          'Level by scope',
          [prom('max by (skill_group) (sluice_level{tenant="$tenant", skill_group=~"$skill_group|"})', '{{skill_group}}')],
          {
            description:
              'Every control instance reports the levels it follows: max across instances. An empty skill group is the whole tenant.',
          },
        ),
      )
      .withPanel(
        timeseries(
          'Level changes',
          'short',
          [
            chSeries(
              `SELECT ts AS time, if(skill_group = '', '(tenant)', skill_group) AS scope, to_level AS level ${LEVEL_CHANGES} ORDER BY time`,
            ),
          ],
          { min: 0, max: 3 },
        ),
      )
      .withPanel(
        table(
          'Level change log',
          [
            chTable(
              `SELECT ts, if(skill_group = '', '(tenant)', skill_group) AS scope, from_level, to_level, change, reason, instance ${LEVEL_CHANGES} ORDER BY ts DESC LIMIT 200`,
            ),
          ],
          { size: { w: 24, h: 8 } },
        ),
      )
      .withRow(new RowBuilder('Breakers'))
      .withPanel(
        timeline('Breaker states (0 closed, 1 half-open, 2 open)', [prom('max by (breaker) (sluice_breaker_state)', '{{breaker}}')], {
          description:
            "Platform-wide: the fleet breakers of the CTI nodes and channels, which every tenant's calls pass; the tenant selector does not apply.",
        }),
      )
      .withPanel(
        timeseries(
          'Breaker transitions',
          'short',
          [prom('sum by (breaker, to) (increase(sluice_breaker_transitions_total[$__rate_interval]))', '{{breaker}} → {{to}}')],
          {
            bars: true,
            description:
              "Platform-wide (fleet breakers, every tenant): state changes; every breaker's series start at 0, so the first transition shows.",
          },
        ),
      )
      .withRow(new RowBuilder('Routing'))
      .withPanel(
        timeseries(
          'Diversions by channel',
          'short',
          [
            chSeries(
              `SELECT $__timeInterval(ts) AS time, target, count() AS calls ${DECISIONS} AND target != 'agent' GROUP BY time, target ORDER BY time`,
            ),
          ],
          { stacked: true, bars: true },
        ),
      )
      .withPanel(
        timeseries(
          'Decisions by target',
          'reqps',
          [prom('sum by (target) (rate(sluice_route_decisions_total{tenant="$tenant"}[$__rate_interval]))', '{{target}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        table('Decisions by level and target', [
          chTable(
            `SELECT level, target, count() AS calls, uniqExact(skill_group) AS skill_groups ${DECISIONS} GROUP BY level, target ORDER BY level, calls DESC`,
          ),
        ]),
      )
      .withPanel(
        timeseries(
          'Admission: calls refused, attempts spilled',
          'reqps',
          [
            prom(
              'sum by (reason) (rate(sluice_admission_calls_refused_total{tenant="$tenant"}[$__rate_interval]))',
              'calls refused: {{reason}}',
            ),
            prom(
              'sum by (target) (rate(sluice_admission_attempts_spilled_total{tenant="$tenant"}[$__rate_interval]))',
              'attempts spilled from {{target}}',
            ),
          ],
          {
            description:
              "Calls refused: calls that got no target at all (rejected), by reason (admission: a bucket or limit refused and nothing was left; unavailable: every target down). Attempts spilled: a target's admission (the agent bucket, a concurrency limit) refused the call and it went on to the next target — most spilled calls are routed elsewhere.",
          },
        ),
      )
      .withPanel(
        timeseries(
          'Route decision time (server, in process)',
          's',
          [
            prom('histogram_quantile(0.5, sum by (le) (rate(sluice_route_decision_duration_seconds_bucket[$__rate_interval])))', 'p50'),
            prom('histogram_quantile(0.99, sum by (le) (rate(sluice_route_decision_duration_seconds_bucket[$__rate_interval])))', 'p99'),
          ],
          {
            description:
              "Platform-wide: every tenant's decisions (the router's own time, not a tenant's figure). Buckets 200 ns–10 ms, ratio ≤ 1.5 (app/metric-buckets.ts).",
          },
        ),
      )
      .withPanel(
        timeseries('Route outcomes', 'reqps', [
          prom('sum by (target, result) (rate(sluice_route_outcomes_total{tenant="$tenant"}[$__rate_interval]))', '{{target}} {{result}}'),
        ]),
      )
      .build(),
  );
}
