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
          {
            unit: 'short',
            range: [0, 3],
            bounded: true,
            scope: 'tenant',
            meaning:
              'Degradation level (0 normal … 3 emergency) of the tenant and of the selected skill groups. Every control instance reports the levels it follows: max across instances. An empty skill group is the whole tenant.',
          },
          [prom('max by (skill_group) (sluice_level{tenant="$tenant", skill_group=~"$skill_group|"})', '{{skill_group}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Level changes',
          {
            unit: 'short',
            range: [0, 3],
            bounded: true,
            scope: 'tenant',
            meaning: 'The level each change went to, at the moment it changed, by scope.',
          },
          [
            chSeries(
              `SELECT ts AS time, if(skill_group = '', '(tenant)', skill_group) AS scope, to_level AS level ${LEVEL_CHANGES} ORDER BY time`,
            ),
          ],
        ),
      )
      .withPanel(
        table(
          'Level change log',
          {
            unit: 'short',
            range: [0, 3],
            scope: 'tenant',
            meaning: 'The last 200 level changes: from and to which level, why, and which instance decided.',
          },
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
        timeline(
          'Breaker states (0 closed, 1 half-open, 2 open)',
          {
            unit: 'short',
            range: [0, 2],
            bounded: true,
            scope: 'platform',
            meaning:
              "State of every circuit breaker, max across instances: the fleet breakers of the CTI nodes and channels, which every tenant's calls pass; the tenant selector does not apply.",
          },
          [prom('max by (breaker) (sluice_breaker_state)', '{{breaker}}')],
        ),
      )
      .withPanel(
        timeseries(
          'Breaker transitions',
          {
            unit: 'short',
            range: [0, 1000],
            scope: 'platform',
            meaning:
              "Breaker transitions per interval, by breaker and the state it went to (fleet breakers, every tenant); every breaker's series start at 0, so the first transition shows.",
          },
          [prom('sum by (breaker, to) (increase(sluice_breaker_transitions_total[$__rate_interval]))', '{{breaker}} → {{to}}')],
          { bars: true },
        ),
      )
      .withRow(new RowBuilder('Routing'))
      .withPanel(
        timeseries(
          'Diversions by channel',
          {
            unit: 'short',
            range: [0, 100_000],
            scope: 'tenant',
            meaning: 'Calls routed away from agents per interval, by the channel they went to (decision log).',
          },
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
          { unit: 'reqps', range: [0, 10_000], scope: 'tenant', meaning: 'Routing decisions per second, by target.' },
          [prom('sum by (target) (rate(sluice_route_decisions_total{tenant="$tenant"}[$__rate_interval]))', '{{target}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        table(
          'Decisions by level and target',
          {
            unit: 'short',
            range: [1, 10_000_000],
            scope: 'tenant',
            meaning:
              'Routing decisions over the time range by the level they were made at and their target, and how many skill groups they came from.',
            columns: { level: { unit: 'short', range: [0, 3] } },
          },
          [
            chTable(
              `SELECT level, target, count() AS calls, uniqExact(skill_group) AS skill_groups ${DECISIONS} GROUP BY level, target ORDER BY level, calls DESC`,
            ),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Admission: calls refused, attempts spilled',
          {
            unit: 'reqps',
            range: [0, 10_000],
            scope: 'tenant',
            meaning:
              "Calls refused: calls that got no target at all (rejected), per second by reason (admission: a bucket or limit refused and nothing was left; unavailable: every target down). Attempts spilled: a target's admission (the agent bucket, a concurrency limit) refused the call and it went on to the next target, per second by that target — most spilled calls are routed elsewhere.",
          },
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
        ),
      )
      .withPanel(
        timeseries(
          'Route decision time (server, in process)',
          {
            unit: 's',
            range: [2e-7, 0.1],
            scope: 'platform',
            nonFinite: ['NaN'],
            meaning:
              "Median and 99th percentile of the time a routing decision takes inside Sluice (not the network), every tenant's decisions (the router's own time, not a tenant's figure); NaN, a gap, where no call was routed. Buckets 200 ns–10 ms, ratio ≤ 1.5 (app/metric-buckets.ts); a value under the first bound would be interpolated from 0, not measured.",
          },
          [
            prom('histogram_quantile(0.5, sum by (le) (rate(sluice_route_decision_duration_seconds_bucket[$__rate_interval])))', 'p50'),
            prom('histogram_quantile(0.99, sum by (le) (rate(sluice_route_decision_duration_seconds_bucket[$__rate_interval])))', 'p99'),
          ],
        ),
      )
      .withPanel(
        timeseries(
          'Route outcomes',
          {
            unit: 'reqps',
            range: [0, 10_000],
            scope: 'tenant',
            meaning: "The tenant's call outcomes reported by the proxy per second, by target and result (connected, failed, timeout…).",
          },
          [
            prom(
              'sum by (target, result) (rate(sluice_route_outcomes_total{tenant="$tenant"}[$__rate_interval]))',
              '{{target}} {{result}}',
            ),
          ],
        ),
      )
      .build(),
  );
}
