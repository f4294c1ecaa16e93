/** `sluice dashboards check`: every check of the dashboards, in one report, against a simulated run. */
import { simulatedSluice } from '../bench/dashboards/simulate.js';
import { alertMetricProblems, alertRuleProblems } from '../dashboards/alerts/check.js';
import { diffCommitted } from '../dashboards/build.js';
import { failedRuns, runClickHouseQueries } from '../dashboards/check/clickhouse.js';
import { exposedMetricNames, promtoolCheckMetrics, requirePromtool } from '../dashboards/check/promql.js';
import { promExpressions, promqlProblems, promVariables } from '../dashboards/check/run.js';
import { schemaErrors } from '../dashboards/check/schema.js';
import { buildDashboards } from '../dashboards/index.js';

/** What the checks found. */
export interface CheckReport {
  /** One line per problem; empty when every check passed. */
  readonly problems: string[];
  /** What was checked, for the summary line. */
  readonly counted: { dashboards: number; clickhouseRuns: number; promql: number; exposedMetrics: number };
}

/**
 * Runs every check: generated JSON equals the committed JSON and passes Grafana's schema; every ClickHouse
 * query (expanded as the plugin does) returns rows from a simulated run in chDB; every PromQL expression
 * parses (promtool) and names only metrics `/metrics` exposes; `promtool check metrics` passes on a scrape; the alerting
 * rules equal the committed file, pass `promtool check rules` and `promtool test rules`, and name only exposed metrics.
 */
export async function checkDashboards(log: (line: string) => void = () => {}): Promise<CheckReport> {
  log(`using ${await requirePromtool()}`);
  const problems = (await diffCommitted()).slice();
  // The alerting rules: committed file equals the build, promtool check rules, promtool test rules.
  log('checking the alerting rules with promtool check rules and promtool test rules…');
  problems.push(...(await alertRuleProblems()));
  const dashboards = buildDashboards();
  for (const { file, dashboard } of dashboards)
    problems.push(...schemaErrors(JSON.parse(JSON.stringify(dashboard))).map((e) => `${file}: schema: ${e}`));
  log('simulating a run into chDB…');
  const run = await simulatedSluice();
  try {
    const runs = await runClickHouseQueries(run.sluice.clickhouse, dashboards, run);
    problems.push(...failedRuns(runs));
    const scrape = (await run.sluice.app.inject({ url: '/metrics' })).body;
    problems.push(...(await promtoolCheckMetrics(scrape)).map((l) => `/metrics: ${l}`));
    const exprs = promExpressions(dashboards);
    problems.push(...(await promqlProblems(exprs, scrape, promVariables(run))));
    problems.push(...alertMetricProblems(scrape));
    return {
      problems,
      counted: {
        dashboards: dashboards.length,
        clickhouseRuns: runs.length,
        promql: exprs.length,
        exposedMetrics: exposedMetricNames(scrape).size,
      },
    };
  } finally {
    await run.sluice.close();
  }
}
