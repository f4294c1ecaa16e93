/**
 * `sluice dashboards check`: every check of the dashboards, in one report, against a simulated run scraped by a
 * real Prometheus (Debian's `prometheus`): the run's control and ticket traffic is live, so every counter is
 * born and moves while Prometheus watches, as it does for a user.
 */
import { type SimulatedRun, simulatedSluice } from '../bench/dashboards/simulate.js';
import { alertMetricProblems, alertRuleProblems } from '../dashboards/alerts/check.js';
import { diffCommitted } from '../dashboards/build.js';
import { failedRuns, runClickHouseQueries } from '../dashboards/check/clickhouse.js';
import { type PrometheusServer, startPrometheus } from '../dashboards/check/prometheus.js';
import { exposedMetricNames, promtoolCheckMetrics, requirePromtool } from '../dashboards/check/promql.js';
import { promExpressions, promqlProblems, promVariables } from '../dashboards/check/run.js';
import { schemaErrors } from '../dashboards/check/schema.js';
import {
  type CheckContext,
  checkClickHousePanels,
  checkPrometheusPanels,
  dashboardVariables,
  problemLines,
  type CheckSummary,
} from '../dashboards/check/values.js';
import { buildDashboards, type DashboardFile } from '../dashboards/index.js';

/** Prometheus' scrape interval in the check, seconds (also the data source's `timeInterval` Grafana would use). */
export const CHECK_SCRAPE_INTERVAL_S = 1;

/** What the checks found. */
export interface CheckReport extends CheckSummary {
  readonly counted: CheckSummary['counted'] & { clickhouseRuns: number };
  /** Sluice's `/metrics` at the end of the run. */
  readonly scrape: string;
  /** What the simulated run did and the time range evaluated. */
  readonly run: { control: SimulatedRun['control']; liveSeconds: number; prometheus: string };
}

/** Options of {@link checkDashboards}. */
export interface CheckOptions {
  /** Dashboards to check (default: every one, freshly built). */
  readonly dashboards?: readonly DashboardFile[];
  /** Scale of the live traffic (default 1, about 20 s). */
  readonly liveScale?: number;
}

/**
 * Runs every check: generated JSON equals the committed JSON and passes Grafana's schema; the alerting rules
 * equal the committed file, pass `promtool check rules` and `promtool test rules`, and name only exposed metrics;
 * a simulated run is scraped by a real Prometheus every {@link CHECK_SCRAPE_INTERVAL_S} s; every Prometheus panel
 * query, with Grafana's substitutions over the run's time range, returns series whose every value lies within
 * the panel's declared range; every ClickHouse panel query does the same against chDB; every PromQL expression
 * parses (promtool) and names only exposed metrics; `promtool check metrics` passes on a scrape.
 */
export async function checkDashboards(log: (line: string) => void = () => {}, o: CheckOptions = {}): Promise<CheckReport> {
  log(`using ${await requirePromtool()}`);
  const problems = (await diffCommitted()).slice();
  // The alerting rules: committed file equals the build, promtool check rules, promtool test rules.
  log('checking the alerting rules with promtool check rules and promtool test rules…');
  problems.push(...(await alertRuleProblems()));
  const dashboards = o.dashboards ?? buildDashboards();
  for (const { file, dashboard } of dashboards)
    problems.push(...schemaErrors(JSON.parse(JSON.stringify(dashboard))).map((e) => `${file}: schema: ${e}`));
  let prometheus: PrometheusServer | undefined;
  log('simulating a run into chDB, scraped by Prometheus…');
  let run: SimulatedRun | undefined;
  try {
    run = await simulatedSluice({
      ...(o.liveScale !== undefined && { liveScale: o.liveScale }),
      onListening: async (sluice) => {
        prometheus = await startPrometheus({ target: new URL(sluice.url).host, scrapeIntervalS: CHECK_SCRAPE_INTERVAL_S });
        log(`${prometheus.version} on ${prometheus.url}, scraping ${sluice.url} every ${CHECK_SCRAPE_INTERVAL_S} s`);
        await prometheus.waitForScrapes(2);
      },
    });
    // The last state of the run scraped, twice so rates over it have two points.
    await prometheus!.waitForScrapes(2);
    const endMs = Date.now();
    log(
      `run: ${run.control.routed} calls routed (${JSON.stringify(run.control.targets)}), outcomes ${JSON.stringify(run.control.outcomes)}, highest level L${run.control.highestLevel}, ${run.control.tickets} tickets (${run.control.ticketsCompleted} completed)`,
    );

    const runs = await runClickHouseQueries(run.sluice.clickhouse, dashboards, run);
    problems.push(...failedRuns(runs).filter((l) => / variable /.test(l)));
    const scrape = (await run.sluice.app.inject({ url: '/metrics' })).body;
    problems.push(...(await promtoolCheckMetrics(scrape)).map((l) => `/metrics: ${l}`));
    const exprs = promExpressions(dashboards);
    problems.push(...(await promqlProblems(exprs, scrape, promVariables(run))));

    // The dashboards' variables as Grafana sets them for the run's tenant at the end of the run (sl_variant, sl_threshold…).
    const variables = await dashboardVariables(prometheus!, dashboards, run.tenant, Math.floor(endMs / 1000));
    problems.push(...variables.problems);
    const sl = variables.values['sluice-queues'];
    log(`variables for tenant ${run.tenant}: sl_variant=${sl?.sl_variant ?? '?'}, sl_threshold=${sl?.sl_threshold ?? '?'}`);
    const base = {
      tenant: run.tenant,
      skillGroups: run.skillGroups,
      scrapeIntervalMs: CHECK_SCRAPE_INTERVAL_S * 1000,
      variables: variables.values,
    };
    const promContext: CheckContext = { ...base, fromMs: run.liveFromMs, toMs: endMs };
    const chContext: CheckContext = { ...base, fromMs: run.fromMs, toMs: run.toMs };
    const panels = [
      ...(await checkPrometheusPanels(prometheus!, dashboards, promContext)),
      ...(await checkClickHousePanels(run.sluice.clickhouse, dashboards, chContext)),
    ];
    problems.push(...problemLines(panels));
    // The same ClickHouse time series over a day long before the run find nothing: their rows come from the run.
    const before = await checkClickHousePanels(run.sluice.clickhouse, dashboards, {
      ...base,
      fromMs: Date.UTC(2001, 0, 1),
      toMs: Date.UTC(2001, 0, 2),
    });
    for (const q of before.filter((x) => x.panelType === 'timeseries' && x.series > 0))
      problems.push(
        `${q.dashboard} / panel "${q.panel}" ${q.refId} (${q.choice}): ${q.series} rows for a day before the run (2001-01-01): no time filter?`,
      );
    problems.push(...alertMetricProblems(scrape));
    return {
      problems,
      panels,
      scrape,
      counted: {
        dashboards: dashboards.length,
        clickhouseRuns: runs.length,
        promql: exprs.length,
        exposedMetrics: exposedMetricNames(scrape).size,
        prometheusQueries: panels.filter((p) => p.kind === 'prometheus').length,
        clickhousePanelQueries: panels.filter((p) => p.kind === 'clickhouse').length,
      },
      run: { control: run.control, liveSeconds: Math.round((endMs - run.liveFromMs) / 1000), prometheus: prometheus!.version },
    };
  } finally {
    await run?.sluice.close();
    await prometheus?.stop();
  }
}
