/** `sluice dashboards build|check`. */
import { Command } from 'commander';

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
    .action(async (o: { verbose?: boolean }) => {
      const { checkDashboards } = await import('./dashboards-check.js');
      let report: Awaited<ReturnType<typeof checkDashboards>>;
      try {
        report = await checkDashboards((line) => console.error(`sluice: ${line}`));
      } catch (err) {
        console.error(`sluice: dashboards check could not run: ${(err as Error).message}`);
        process.exit(2);
      }
      const c = report.counted;
      // Per dashboard: panel queries evaluated and how many failed; then every problem, one line each.
      const byDashboard = new Map<string, { queries: number; failed: number; panels: Set<string> }>();
      for (const q of report.panels) {
        const d = byDashboard.get(q.dashboard) ?? { queries: 0, failed: 0, panels: new Set<string>() };
        d.queries++;
        if (q.problems.length) d.failed++;
        d.panels.add(q.panel);
        byDashboard.set(q.dashboard, d);
        if (o.verbose)
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
        `sluice: ${c.dashboards} dashboards, ${c.prometheusQueries} Prometheus and ${c.clickhousePanelQueries} ClickHouse panel query runs over ${report.run.liveSeconds} s of a run scraped by ${report.run.prometheus.split(' (')[0]}, ${c.promql} PromQL expressions, ${c.exposedMetrics} metric names on /metrics: ${report.problems.length === 0 ? 'all checks passed' : `${report.problems.length} problems`}`,
      );
      process.exit(report.problems.length === 0 ? 0 : 1);
    });
  return cmd;
}
