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
      "committed JSON equals the build and passes Grafana's schema; ClickHouse queries return rows from a simulated run in chDB; PromQL parses (promtool) and names exposed metrics; promtool check metrics passes; the alerting rules pass promtool check rules and promtool test rules",
    )
    .action(async () => {
      const { checkDashboards } = await import('./dashboards-check.js');
      let report: Awaited<ReturnType<typeof checkDashboards>>;
      try {
        report = await checkDashboards((line) => console.error(`sluice: ${line}`));
      } catch (err) {
        console.error(`sluice: dashboards check could not run: ${(err as Error).message}`);
        process.exit(2);
      }
      const c = report.counted;
      for (const p of report.problems) console.error(`  ✗ ${p}`);
      console.error(
        `sluice: ${c.dashboards} dashboards, ${c.clickhouseRuns} ClickHouse query runs, ${c.promql} PromQL expressions, ${c.exposedMetrics} metric names on /metrics: ${report.problems.length === 0 ? 'all checks passed' : `${report.problems.length} problems`}`,
      );
      process.exit(report.problems.length === 0 ? 0 : 1);
    });
  return cmd;
}
