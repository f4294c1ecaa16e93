/**
 * The PromQL checks of the dashboards against a scrape of `/metrics`. The Sluice scraped is started on
 * top of this room: `bench/dashboards/simulate.ts` fills one, `cli/dashboards-check.ts` runs every check on it.
 */
import type { DashboardFile } from '../index.js';
import { expandPromQL, exposedMetricNames, metricNames, promtoolCheckExpressions, variableQueryPromQL } from './promql.js';
import { queriesOf } from './targets.js';

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
export async function promqlProblems(
  exprs: readonly { where: string; text: string }[],
  scrape: string,
  vars: Parameters<typeof expandPromQL>[1],
): Promise<string[]> {
  const exposed = exposedMetricNames(scrape);
  const expanded = exprs.map((e) => ({ ...e, expr: expandPromQL(e.text, vars) }));
  const problems = (await promtoolCheckExpressions(expanded.map((e) => e.expr))).map((l) => `promtool: ${l}`);
  for (const e of expanded)
    for (const name of metricNames(e.expr)) if (!exposed.has(name)) problems.push(`${e.where}: ${name} is not exposed on /metrics`);
  return problems;
}

/** The Prometheus data source's substitutions for a run: its tenant and skill groups, every job. */
export const promVariables = (run: { tenant: string; skillGroups: readonly string[] }) => ({
  single: { tenant: run.tenant, job: '.+' },
  multi: { skill_group: run.skillGroups },
});
