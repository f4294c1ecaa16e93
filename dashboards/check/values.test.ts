import { QueryVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import type { DashboardFile } from '../index.js';
import { declarationOf, describeSpec } from '../sdk/declare.js';
import { finishDashboard, PROM_SCOPE, sluiceDashboard, stat, table, timeseries } from '../sdk/panels.js';
import { chTable, prom, PROMETHEUS, promNow } from '../sdk/queries.js';
import type { PromApi, PromSeries } from './prometheus.js';
import { slThresholdVariable, slVariantVariable } from '../sdk/service-level.js';
import {
  checkPrometheusPanels,
  checkRows,
  dashboardVariables,
  grafanaIntervals,
  problemLines,
  promDuration,
  queryResultText,
  roundInterval,
  valueProblem,
  variableOptions,
} from './values.js';

/** A dashboard with the panels of a real one, built with the SDK (so each carries its declaration). */
function dashboardOf(build: (d: ReturnType<typeof sluiceDashboard>) => void): DashboardFile {
  const d = sluiceDashboard({ title: 'T', uid: 'test', tags: [], description: 'd', refresh: '10s', from: 'now-1h' }).withVariable(
    new QueryVariableBuilder('job')
      .datasource({ ...PROMETHEUS })
      .query('label_values(sluice_events_in_total, job)')
      .multi(true)
      .includeAll(true)
      .allValue('.+'),
  );
  build(d);
  return { file: 'test.json', dashboard: finishDashboard(d.build()) };
}

const level = (title: string, expr: string) =>
  timeseries(title, { unit: 'short', range: [0, 3], bounded: true, scope: 'tenant', meaning: 'The level.' }, [
    prom(expr, '{{skill_group}}'),
  ]);

/** A stand-in of Prometheus' API answering from a table of expression → series, recording what it was sent. */
function fakeApi(answers: (expr: string) => PromSeries[]): PromApi & { sent: { expr: string; args: number[] }[] } {
  const sent: { expr: string; args: number[] }[] = [];
  return {
    sent,
    query: async (expr, t) => (sent.push({ expr, args: [t] }), answers(expr)),
    queryRange: async (expr, s, e, step) => (sent.push({ expr, args: [s, e, step] }), answers(expr)),
  };
}

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const context = { tenant: 'acme', skillGroups: ['billing', 'sales'], fromMs: T0, toMs: T0 + 60_000, scrapeIntervalMs: 1_000 };
const points = (...vs: string[]) => vs.map((v, i) => [T0 / 1000 + i, v] as const);

describe('the panel value check', () => {
  it("computes $__interval and $__rate_interval as Grafana's Prometheus data source does", () => {
    expect(roundInterval(60)).toBe(50);
    expect(roundInterval(3_600_000 / 1000)).toBe(5_000);
    expect(grafanaIntervals({ fromMs: 0, toMs: 60_000, scrapeIntervalMs: 1_000 })).toEqual({
      intervalMs: 1_000,
      rateIntervalMs: 4_000,
      rangeS: 60,
    });
    // Six hours on a 1 000-point panel at a 15 s scrape: 21.6 s rounds to 20 s; rate interval max(20 + 15, 60) s.
    expect(grafanaIntervals({ fromMs: 0, toMs: 6 * 3_600_000, scrapeIntervalMs: 15_000 })).toEqual({
      intervalMs: 20_000,
      rateIntervalMs: 60_000,
      rangeS: 21_600,
    });
    expect([promDuration(4_000), promDuration(1_500)]).toEqual(['4s', '1500ms']);
  });

  it('holds a value to the declared range; NaN and infinities only where declared', () => {
    const ratio = { unit: 'percentunit', range: [0, 1] } as const;
    expect(valueProblem(ratio, '0.5')).toBeUndefined();
    expect(valueProblem(ratio, '1.7')).toBe('1.7');
    expect(valueProblem(ratio, -0.1)).toBe('-0.1');
    expect(valueProblem(ratio, 'NaN')).toBe('NaN');
    expect(valueProblem(ratio, '+Inf')).toBe('+Inf');
    expect(valueProblem({ ...ratio, nonFinite: ['NaN'] }, 'NaN')).toBeUndefined();
    expect(valueProblem({ ...ratio, nonFinite: ['NaN'] }, 'inf')).toBe('+Inf');
  });

  it('reports a broken metric, naming dashboard, panel, query and reason: a value out of range and a missing series', async () => {
    const file = dashboardOf((d) =>
      d
        .withPanel(level('Level', `max by (skill_group) (sluice_level{${PROM_SCOPE}})`))
        .withPanel(level('Level, broken: ten times too big', `10 * max by (skill_group) (sluice_level{${PROM_SCOPE}})`))
        .withPanel(level('Level, broken: a series nobody exposes', `max by (skill_group) (sluice_levels{${PROM_SCOPE}})`)),
    );
    const api = fakeApi((expr) =>
      expr.includes('sluice_levels')
        ? []
        : [
            {
              metric: { skill_group: 'sales' },
              values: points('0', '1', '3').map(([t, v]) => [t, expr.startsWith('10 *') ? String(10 * Number(v)) : v] as const),
            },
          ],
    );
    const checks = await checkPrometheusPanels(api, [file], context);
    const lines = problemLines(checks);
    expect(lines.filter((l) => l.includes('"Level"'))).toEqual([]);
    expect(lines).toContain(
      'test / panel "Level, broken: ten times too big" A (skill_group=All): 2 of 3 values outside the declared short range 0..3: 10 at 10:00:01 {skill_group="sales"}; 30 at 10:00:02 {skill_group="sales"}',
    );
    expect(lines).toContain('test / panel "Level, broken: a series nobody exposes" A (skill_group=All): no series');
    expect(lines).toContain('test / panel "Level, broken: a series nobody exposes" A (skill_group=billing): no series');
    expect(lines).toHaveLength(4);
  });

  it("sends each query with Grafana's substitutions: tenant, All skill groups as a regex, $job's All value, the intervals", async () => {
    const file = dashboardOf((d) =>
      d
        .withPanel(
          timeseries('Rate', { unit: 'reqps', range: [0, 10], scope: 'tenant', meaning: 'A rate.' }, [
            prom(`sum(rate(sluice_route_decisions_total{tenant="$tenant", skill_group=~"$skill_group", job=~"$job"}[$__rate_interval]))`),
          ]),
        )
        .withPanel(
          stat('Breaches', { unit: 'short', range: [0, 10], scope: 'platform', meaning: 'Breaches in the range.' }, [
            promNow('sum(increase(sluice_sla_warnings_total[$__range]))'),
          ]),
        ),
    );
    const api = fakeApi(() => [{ metric: {}, values: points('1') }]);
    expect(problemLines(await checkPrometheusPanels(api, [file], context))).toEqual([]);
    const end = (T0 + 60_000) / 1000;
    expect(api.sent).toEqual([
      {
        expr: 'sum(rate(sluice_route_decisions_total{tenant="acme", skill_group=~"(billing|sales)", job=~".+"}[4s]))',
        args: [T0 / 1000, end, 1],
      },
      { expr: 'sum(rate(sluice_route_decisions_total{tenant="acme", skill_group=~"billing", job=~".+"}[4s]))', args: [T0 / 1000, end, 1] },
      { expr: 'sum(increase(sluice_sla_warnings_total[60s]))', args: [end] },
    ]);
  });

  it("gives sl_variant and sl_threshold the tenant's values as Grafana does: label_values, query_result and the regex", async () => {
    expect(queryResultText({ metric: {}, values: [[1767607200, '17']] })).toBe('{} 17 1767607200000');
    expect(queryResultText({ metric: { __name__: 'm', a: 'x' }, values: [[1, '0.5']] })).toBe('m{a="x"} 0.5 1000');
    expect(variableOptions(['{} 17 1767607200000'], '/\\}\\s+([0-9.eE+-]+)\\s/')).toEqual(['17']);
    expect(variableOptions(['b', 'a', 'b'])).toEqual(['b', 'a']);
    expect(variableOptions(['x1', 'y'], '/x(?<value>\\d)/')).toEqual(['1']);

    const file = dashboardOf((d) => d.withVariable(slVariantVariable()).withVariable(slThresholdVariable()));
    // acme uses the variant answered with T = 17 s; its stored defaults (answeredAndAbandoned, 20) are not its values.
    const api = fakeApi((expr) =>
      expr.includes('tenant="acme"')
        ? expr.startsWith('group by (variant)')
          ? [{ metric: { variant: 'answered' }, values: points('17') }]
          : [{ metric: {}, values: points('17') }]
        : [],
    );
    const acme = await dashboardVariables(api, [file], 'acme', T0 / 1000);
    expect(acme.problems).toEqual([]);
    expect(acme.values.test).toMatchObject({ job: '.+', sl_variant: 'answered', sl_threshold: '17' });
    expect(api.sent.map((x) => x.expr)).toEqual([
      'group by (variant) (sluice_service_level_threshold_seconds{tenant="acme"})',
      'max(sluice_service_level_threshold_seconds{tenant="acme"})',
    ]);
    // A tenant Sluice reports no definition for: no value, said so.
    const other = await dashboardVariables(api, [file], 'other', T0 / 1000);
    expect(other.problems).toEqual([
      'test / variable sl_variant: no value for tenant other (label_values(sluice_service_level_threshold_seconds{tenant="other"}, variant))',
      'test / variable sl_threshold: no value for tenant other (query_result(max(sluice_service_level_threshold_seconds{tenant="other"})))',
    ]);
  });

  it('takes NaN where a panel declares it (a gap), but not a query that is nothing but NaN', async () => {
    const file = dashboardOf((d) =>
      d.withPanel(
        timeseries('p99', { unit: 's', range: [1e-6, 1], nonFinite: ['NaN'], scope: 'platform', meaning: 'A quantile.' }, [
          prom('histogram_quantile(0.99, sum by (le) (rate(a_bucket[$__rate_interval])))'),
          prom('histogram_quantile(0.99, sum by (le) (rate(b_bucket[$__rate_interval])))'),
        ]),
      ),
    );
    const api = fakeApi((expr) => [{ metric: {}, values: expr.includes('a_bucket') ? points('NaN', '0.002') : points('NaN', 'NaN') }]);
    expect(problemLines(await checkPrometheusPanels(api, [file], context))).toEqual([
      'test / panel "p99" B (all): no finite value: all 2 values are NaN',
    ]);
  });

  it('reports a query Prometheus refuses', async () => {
    const file = dashboardOf((d) => d.withPanel(level('Level', 'sluice_level{tenant="$tenant"}')));
    const api: PromApi = {
      query: async () => [],
      queryRange: async () => {
        throw new Error('bad_data: parse error');
      },
    };
    expect(problemLines(await checkPrometheusPanels(api, [file], context))).toEqual([
      'test / panel "Level" A (all): query failed: bad_data: parse error',
    ]);
  });

  it("holds a table's numeric columns to their own declarations, skipping text, time and NULL", () => {
    const file = dashboardOf((d) =>
      d.withPanel(
        table(
          'Agents',
          {
            unit: 's',
            range: [0, 3600],
            scope: 'tenant',
            meaning: 'Per agent.',
            columns: { occupancy: { unit: 'percentunit', range: [0, 1] } },
          },
          [chTable("SELECT 1 WHERE tenant = '${tenant}'")],
        ),
      ),
    );
    const panel = file.dashboard.panels![0]!;
    const spec = declarationOf(panel)!;
    const meta = [
      { name: 'time', type: 'DateTime' },
      { name: 'agent_id', type: 'String' },
      { name: 'on_call_s', type: 'Float64' },
      { name: 'occupancy', type: 'Nullable(Float64)' },
    ];
    expect(
      checkRows(spec, meta, [
        { time: '2026-01-05 10:00:00', agent_id: 'a1', on_call_s: 120, occupancy: 0.5 },
        { time: '2026-01-05 10:01:00', agent_id: 'a2', on_call_s: 4000, occupancy: null },
      ]).problems,
    ).toEqual(['1 of 3 values of column on_call_s outside the declared s range 0..3600: 4000 in row 2']);
    expect(checkRows(spec, meta, [{ time: 't', agent_id: 'a1', on_call_s: 1, occupancy: 'nan' }]).problems).toEqual([
      '1 of 2 values of column occupancy outside the declared percentunit range 0..1: NaN in row 1',
    ]);
    expect(checkRows(spec, meta, []).problems).toEqual(['no rows']);
    expect(checkRows(spec, meta.slice(0, 3), [{ time: 't', agent_id: 'a', on_call_s: 1 }]).problems).toEqual([
      'declares columns the query does not return: occupancy',
    ]);
  });
});

describe('panels empty by nature after a start (firstData)', () => {
  const spec = {
    unit: 'short',
    range: [0, 100] as const,
    scope: 'tenant' as const,
    meaning: 'Vendor offered.',
    firstData: { afterMs: 20 * 60_000, because: 'the first interval report comes after 15 minutes' },
  };
  it('says so in the panel description', () => {
    expect(describeSpec(spec)).toContain('Empty for up to 20 min after Sluice starts: the first interval report comes after 15 minutes.');
  });
});
