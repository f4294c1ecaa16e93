/** `sluice dashboards check`: every check of the dashboards, in one report. */
import { diffCommitted } from '../build.js';
import { buildDashboards, type DashboardFile } from '../index.js';
import { failedRuns, runClickHouseQueries } from './clickhouse.js';
import { expandPromQL, exposedMetricNames, metricNames, promtoolCheckExpressions, promtoolCheckMetrics, requirePromtool, variableQueryPromQL } from './promql.js';
import { schemaErrors } from './schema.js';
import { simulatedSluice } from './simulate.js';
import { queriesOf } from './targets.js';

/** What the checks found. */
export interface CheckReport {
  /** One line per problem; empty when every check passed. */
  readonly problems: string[];
  /** What was checked, for the summary line. */
  readonly counted: { dashboards: number; clickhouseRuns: number; promql: number; exposedMetrics: number };
}

/** Every PromQL expression of the dashboards (panel targets, and the PromQL inside variable queries). */
export function promExpressions(dashboards: readonly DashboardFile[]): { where: string; text: string }[] {
  return dashboards.flatMap((d) =>
    queriesOf(d.dashboard)
      .filter((q) => q.kind === 'prometheus')
      .flatMap((q) => {
        const text = q.where.startsWith('variable ') ? variableQueryPromQL(q.text) : q.text;
        return text === undefined ? [] : [{ where: `${q.dashboard} ${q.where}`, text }];
      }),
  );
}

/** Problems of the PromQL expressions: promtool's complaints, and metric names `/metrics` does not expose. */
export async function promqlProblems(exprs: readonly { where: string; text: string }[], scrape: string, vars: Parameters<typeof expandPromQL>[1]): Promise<string[]> {
  const exposed = exposedMetricNames(scrape);
  const expanded = exprs.map((e) => ({ ...e, expr: expandPromQL(e.text, vars) }));
  const problems = (await promtoolCheckExpressions(expanded.map((e) => e.expr))).map((l) => `promtool: ${l}`);
  for (const e of expanded) for (const name of metricNames(e.expr)) if (!exposed.has(name)) problems.push(`${e.where}: ${name} is not exposed on /metrics`);
  return problems;
}

/** The Prometheus data source's substitutions for a run: its tenant and skill groups, every job. */
export const promVariables = (run: { tenant: string; skillGroups: readonly string[] }) => ({ single: { tenant: run.tenant, sl_seconds: '20', job: '.+' }, multi: { skill_group: run.skillGroups } });

/**
 * Runs every check: generated JSON equals the committed JSON and passes Grafana's schema; every ClickHouse
 * query (expanded as the plugin does) returns rows from a simulated run in chDB; every PromQL expression
 * parses (promtool) and names only metrics `/metrics` exposes; `promtool check metrics` passes on a scrape.
 */
export async function checkDashboards(log: (line: string) => void = () => {}): Promise<CheckReport> {
  log(`using ${await requirePromtool()}`);
  const problems = (await diffCommitted()).slice();
  const dashboards = buildDashboards();
  for (const { file, dashboard } of dashboards) problems.push(...schemaErrors(JSON.parse(JSON.stringify(dashboard))).map((e) => `${file}: schema: ${e}`));
  log('simulating a run into chDB…');
  const run = await simulatedSluice();
  try {
    const runs = await runClickHouseQueries(run.sluice.clickhouse, dashboards, run);
    problems.push(...failedRuns(runs));
    const scrape = (await run.sluice.app.inject({ url: '/metrics' })).body;
    problems.push(...(await promtoolCheckMetrics(scrape)).map((l) => `/metrics: ${l}`));
    const exprs = promExpressions(dashboards);
    problems.push(...(await promqlProblems(exprs, scrape, promVariables(run))));
    return { problems, counted: { dashboards: dashboards.length, clickhouseRuns: runs.length, promql: exprs.length, exposedMetrics: exposedMetricNames(scrape).size } };
  } finally {
    await run.sluice.close();
  }
}
