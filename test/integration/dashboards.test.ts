import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckReport, checkDashboards } from '../../cli/dashboards-check.js';
import { promqlProblems, promVariables } from '../../dashboards/check/run.js';
import { promtoolCheckMetrics } from '../../dashboards/check/promql.js';
import { panelsOf } from '../../dashboards/check/targets.js';
import { buildDashboards, type DashboardFile } from '../../dashboards/index.js';
import { finishDashboard, PROM_SCOPE, sluiceDashboard, timeseries } from '../../dashboards/sdk/panels.js';
import { prom } from '../../dashboards/sdk/queries.js';

const dashboards = buildDashboards();

/** Two panels broken on purpose: one whose values leave its declared range, one naming a series nobody exposes. */
const level = (title: string, expr: string) =>
  timeseries(title, { unit: 'short', range: [0, 3], bounded: true, scope: 'tenant', meaning: 'The level.' }, [
    prom(expr, '{{skill_group}}'),
  ]);
const broken: DashboardFile = {
  file: 'broken.json',
  dashboard: finishDashboard(
    sluiceDashboard({ title: 'Broken on purpose', uid: 'broken', tags: [], description: 'd', refresh: '10s', from: 'now-1h' })
      .withPanel(level('Level ×10', `10 * max by (skill_group) (sluice_level{tenant="$tenant", skill_group=~"$skill_group|"})`))
      .withPanel(level('Level of a metric nobody exposes', `max by (skill_group) (sluice_levels{${PROM_SCOPE}})`))
      .build(),
  ),
};

// `sluice dashboards check` as CI runs it: one Sluice (every role, chDB in memory) on a loopback port, scraped
// every second by Debian's Prometheus, filled by two hours of the traffic model and ~20 s of live control and
// ticket traffic (a CTI node failing, a peak, chat failing, recovery); then every panel query evaluated.
describe('dashboards against a simulated run scraped by a real Prometheus', () => {
  let report: CheckReport;
  beforeAll(async () => {
    report = await checkDashboards(() => {}, { dashboards: [...dashboards, broken] });
  });
  const real = () => report.problems.filter((p) => !p.startsWith('broken '));

  it('the run went through a CTI failure, a peak with diversions to callback, level changes and ticket traffic', () => {
    const c = report.run.control;
    expect(c.highestLevel).toBeGreaterThanOrEqual(2);
    expect(c.outcomes.failed).toBeGreaterThan(0);
    expect(c.outcomes.connected).toBeGreaterThan(c.routed / 2);
    expect(c.targets.callback).toBeGreaterThan(0);
    expect(c.targets.agent).toBeGreaterThan(0);
    expect(c.tickets).toBeGreaterThan(5);
    expect(c.ticketsCompleted).toBeGreaterThan(0);
    expect(report.scrape).toMatch(/sluice_breaker_transitions_total\{[^}]*breaker="[^"]*cti-primary"[^}]*\} [1-9]/);
  });

  it('every query of every panel was evaluated against the run, Prometheus through its HTTP API and ClickHouse in chDB', () => {
    const evaluated = new Set(report.panels.map((p) => `${p.dashboard} ${p.panel} ${p.refId}`));
    for (const { dashboard } of dashboards)
      for (const panel of panelsOf(dashboard))
        for (const t of (panel.targets ?? []) as { refId?: string }[])
          expect(evaluated).toContain(`${dashboard.uid} ${panel.title} ${t.refId}`);
    expect(report.counted.prometheusQueries).toBeGreaterThan(45);
    expect(report.counted.clickhousePanelQueries).toBeGreaterThan(40);
  });

  it('every panel query returns series and every value lies within the range its panel declares (and every other check passes)', () => {
    expect(real()).toEqual([]);
  });

  it('reports the panels broken on purpose, naming panel and reason', () => {
    const lines = report.problems.filter((p) => p.startsWith('broken '));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^broken \/ panel "Level ×10" A \(skill_group=All\): \d+ of \d+ values outside the declared short range 0\.\.3: (10|20|30) at /,
      ),
    );
    expect(lines).toContain('broken / panel "Level of a metric nobody exposes" A (skill_group=All): no series');
  });

  it('reports an expression promtool cannot parse and a metric Sluice does not expose', async () => {
    const problems = await promqlProblems(
      [
        { where: 'bad syntax', text: 'sum(rate(sluice_events_in_total[5m])' },
        { where: 'unknown', text: 'sum(rate(sluice_calls_total[5m]))' },
      ],
      report.scrape,
      promVariables({ tenant: 'demo', skillGroups: ['sales'] }),
    );
    expect(problems.join('\n')).toMatch(/promtool: .*dashboards:expr_0.*parse error/);
    expect(problems).toContain('unknown: sluice_calls_total is not exposed on /metrics');
  });

  it('promtool check metrics refuses a misnamed gauge', async () => {
    const bad = await promtoolCheckMetrics('# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n');
    expect(bad.join('\n')).toMatch(/x_total non-counter metrics should not have "_total" suffix/);
  });

  it("/metrics carries the service level: answered-within-T counters and the tenant's threshold and variant", () => {
    expect(report.scrape).toMatch(/^sluice_queue_answered_within_sl_total\{tenant="demo",skill_group="sales"\} [1-9]/m);
    expect(report.scrape).toContain('sluice_service_level_threshold_seconds{tenant="demo",variant="answeredAndAbandoned"} 20');
    expect(report.scrape).toMatch(
      /^sluice_service_level\{tenant="demo",skill_group="sales",variant="answeredAndAbandoned"\} (0|1|0\.\d+)$/m,
    );
    expect(report.scrape).toMatch(/^sluice_sla_warnings_total\{tenant="demo",kind="breach",[^}]*\} [1-9]/m);
  });
});
