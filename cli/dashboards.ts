/** `sluice dashboards build|check`. */
import { Command } from 'commander';
import type { CheckSummary } from '../dashboards/check/values.js';

/** The `dashboards` command: `build` regenerates `dashboards/generated/`, `check` runs every dashboard check. */
export function dashboardsCommand(): Command {
  const cmd = new Command('dashboards').description(
    "Grafana dashboards as code: build the JSON, or check it against Grafana's schema, chDB, promtool and /metrics",
  );
  cmd
    .command('build')
    .description(
      'regenerate dashboards/generated/*.json from dashboards/defs/ and dashboards/provisioning/alerts/sluice.rules.yml from dashboards/alerts/',
    )
    .option('--out <dir>', 'write the dashboards to this folder instead (the rules only with --rules-out)')
    .option('--rules-out <file>', 'write the alerting rules to this file instead')
    .option('--runbook-base <url>', "prefix of the rules' runbook_url (default docs/runbook.md)")
    .option('--grafana-url <url>', "prefix of the rules' dashboard and panel links (default: paths from Grafana's root)")
    .action(async (o: { out?: string; rulesOut?: string; runbookBase?: string; grafanaUrl?: string }) => {
      const { GENERATED_DIR, writeDashboards } = await import('../dashboards/build.js');
      const dir = o.out ?? GENERATED_DIR;
      const files = await writeDashboards(dir);
      console.error(`sluice: wrote ${files.length} dashboards to ${dir}: ${files.join(', ')}`);
      if (o.out !== undefined && o.rulesOut === undefined) return;
      const { RULES_FILE, writeRules } = await import('../dashboards/alerts/build.js');
      const rules = await writeRules(o.rulesOut ?? RULES_FILE, { runbook: o.runbookBase, grafana: o.grafanaUrl });
      console.error(`sluice: wrote the alerting rules to ${rules}`);
    });
  cmd
    .command('check')
    .description(
      "committed JSON equals the build and passes Grafana's schema; a real Prometheus scrapes a simulated run and every panel query (Prometheus and ClickHouse) returns series whose values lie within the panel's declared range; PromQL parses (promtool) and names exposed metrics; promtool check metrics passes; the alerting rules pass promtool check rules and promtool test rules",
    )
    .option('--verbose', 'list every panel query evaluated, passing or not')
    .option(
      '--demo',
      "instead: run `sluice demo` as `npm start` does, scraped by Prometheus as prometheus-demo.yml says, and after --minutes evaluate every panel over its dashboard's default time range (the demo starts with a history) through Prometheus' HTTP API and the demo's ClickHouse HTTP endpoint",
    )
    .option('--minutes <n>', 'with --demo: minutes the demo runs before the panels are evaluated', '5')
    .option('--rate <calls>', "with --demo: the demo's --rate (default: the demo's own)")
    .action(async (o: { verbose?: boolean; demo?: boolean; minutes: string; rate?: string }) => {
      const say = (line: string) => console.error(`sluice: ${line}`);
      const minutes = Number(o.minutes);
      const rate = o.rate === undefined ? undefined : Number(o.rate);
      if (!(minutes > 0 && minutes <= 24 * 60) || (rate !== undefined && !(rate >= 0))) {
        say('--minutes must be a number of minutes above 0 (at most a day), --rate a number of calls per hour');
        process.exit(2);
      }
      let report: CheckSummary;
      let what: string;
      try {
        if (o.demo) {
          const { checkDemoDashboards } = await import('./dashboards-check-demo.js');
          const r = await checkDemoDashboards(say, { minutes, ...(rate !== undefined && { rate }) });
          report = r;
          what = `sluice demo after ${r.run.minutes} minutes (each dashboard over its default time range), scraped by ${r.run.prometheus.split(' (')[0]}`;
        } else {
          const { checkDashboards } = await import('./dashboards-check.js');
          const r = await checkDashboards(say);
          report = r;
          what = `${r.run.liveSeconds} s of a run scraped by ${r.run.prometheus.split(' (')[0]}`;
        }
      } catch (err) {
        say(`dashboards check could not run: ${(err as Error).message}`);
        process.exit(2);
      }
      printReport(report, what, o.verbose === true);
      process.exit(report.problems.length === 0 ? 0 : 1);
    });
  return cmd;
}

/** Per dashboard: panel queries evaluated and how many failed; then every problem, one line each; then the summary. */
function printReport(report: CheckSummary, what: string, verbose: boolean): void {
  const c = report.counted;
  const byDashboard = new Map<string, { queries: number; failed: number; panels: Set<string> }>();
  for (const q of report.panels) {
    const d = byDashboard.get(q.dashboard) ?? { queries: 0, failed: 0, panels: new Set<string>() };
    d.queries++;
    if (q.problems.length) d.failed++;
    d.panels.add(q.panel);
    byDashboard.set(q.dashboard, d);
    if (verbose)
      console.error(
        `  ${q.problems.length ? '✗' : '✓'} ${q.dashboard} / "${q.panel}" ${q.refId} (${q.choice}, ${q.kind}): ${q.series} series, ${q.values} values`,
      );
  }
  for (const [uid, d] of byDashboard)
    console.error(
      `sluice: ${uid}: ${d.panels.size} panels, ${d.queries} query runs, ${d.failed === 0 ? 'all within their declared ranges' : `${d.failed} failing`}`,
    );
  for (const p of report.problems) console.error(`  ✗ ${p}`);
  console.error(
    `sluice: ${c.dashboards} dashboards, ${c.prometheusQueries} Prometheus and ${c.clickhousePanelQueries} ClickHouse panel query runs over ${what}, ${c.promql} PromQL expressions, ${c.exposedMetrics} metric names on /metrics: ${report.problems.length === 0 ? 'all checks passed' : `${report.problems.length} problems`}`,
  );
}
