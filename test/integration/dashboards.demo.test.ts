import { beforeAll, describe, expect, it } from 'vitest';
import { checkDemoDashboards, type DemoCheckReport } from '../../cli/dashboards-check-demo.js';
import { panelsOf } from '../../dashboards/check/targets.js';
import { buildDashboards, type DashboardFile } from '../../dashboards/index.js';
import { finishDashboard, PROM_SCOPE, sluiceDashboard, TENANT_AND_GROUPS, timeseries } from '../../dashboards/sdk/panels.js';
import { chSeries, prom } from '../../dashboards/sdk/queries.js';

const dashboards = buildDashboards();

/**
 * Panels broken on purpose, so the check is seen to fail on an empty panel and an impossible value: a Prometheus
 * series nobody exposes, a ClickHouse query that finds no row, a level times ten.
 */
const spec = { unit: 'short', range: [0, 3], bounded: true, scope: 'tenant', meaning: 'The level.' } as const;
const broken: DashboardFile = {
  file: 'broken.json',
  dashboard: finishDashboard(
    sluiceDashboard({ title: 'Broken on purpose', uid: 'broken', tags: [], description: 'd', refresh: '10s', from: 'now-1h' })
      .withPanel(timeseries('Empty Prometheus panel', spec, [prom(`max by (skill_group) (sluice_levels{${PROM_SCOPE}})`)]))
      .withPanel(
        timeseries('Empty ClickHouse panel', spec, [
          chSeries(
            `SELECT $__timeInterval(ts) AS time, max(to_level) AS level FROM \${database}.level_changes WHERE $__timeFilter(ts) AND ${TENANT_AND_GROUPS} AND to_level > 99 GROUP BY time ORDER BY time`,
          ),
        ]),
      )
      .withPanel(timeseries('Level ×10', spec, [prom(`10 * max by (skill_group) (sluice_level{${PROM_SCOPE}})`, '{{skill_group}}')]))
      .build(),
  ),
};

// `sluice dashboards check --demo` as CI runs it: `sluice demo` in a child process, its script compressed (CTI
// trouble due after 2 s for 15 s, SLA warnings after 3 s, breach after 6 s, 7 200 calls an hour), scraped every 5 s by
// Debian's Prometheus as prometheus-demo.yml says; after 90 s every panel is evaluated for the last 90 s through
// Prometheus' HTTP API and the demo's read-only ClickHouse HTTP endpoint.
describe('dashboards against sluice demo (npm start), scraped by a real Prometheus', () => {
  let report: DemoCheckReport;
  const lines: string[] = [];
  beforeAll(async () => {
    report = await checkDemoDashboards((l) => lines.push(l), {
      minutes: 1.5,
      rate: 7200,
      env: { SIM_CTI_FAILURE_AT_MS: '2000', SIM_CTI_FAILURE_MS: '15000', SIM_SLA_WARNING_MS: '3000', LOG_LEVEL: 'warn' },
      dashboards: [...dashboards, broken],
      progressEveryS: 15,
    });
  }, 240_000);
  const real = () => report.problems.filter((p) => !p.startsWith('broken '));

  it('evaluated every query of every panel, Prometheus and ClickHouse, and the demo exited 0 on SIGINT', () => {
    const evaluated = new Set(report.panels.map((p) => `${p.dashboard} ${p.panel} ${p.refId}`));
    for (const { dashboard } of dashboards)
      for (const panel of panelsOf(dashboard))
        for (const t of (panel.targets ?? []) as { refId?: string }[])
          expect(evaluated).toContain(`${dashboard.uid} ${panel.title} ${t.refId}`);
    expect(report.counted.prometheusQueries).toBeGreaterThan(45);
    expect(report.counted.clickhousePanelQueries).toBeGreaterThan(40);
    expect(report.run.skillGroups).toEqual(['billing', 'sales', 'support']);
    expect(report.run.exitCode).toBe(0);
  });

  it('no panel is empty and no value is outside its declared range (and every other check passes)', () => {
    expect(real(), lines.join('\n')).toEqual([]);
  });

  it('reports the panels broken on purpose: empty (Prometheus and ClickHouse) and out of range', () => {
    const found = report.problems.filter((p) => p.startsWith('broken '));
    expect(found).toContain('broken / panel "Empty Prometheus panel" A (skill_group=All): no series');
    expect(found).toContain('broken / panel "Empty ClickHouse panel" A (skill_group=All): no rows');
    expect(found).toContainEqual(
      expect.stringMatching(
        /^broken \/ panel "Level ×10" A \(skill_group=All\): \d+ of \d+ values outside the declared short range 0\.\.3: /,
      ),
    );
  });
});
