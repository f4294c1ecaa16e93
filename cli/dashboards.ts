/** `sluice dashboards build|check`. */
import { Command } from 'commander';

/** The `dashboards` command: `build` regenerates `dashboards/generated/`, `check` runs every dashboard check. */
export function dashboardsCommand(): Command {
  const cmd = new Command('dashboards').description(
    "Grafana dashboards as code: build the JSON, or check it against Grafana's schema, chDB, promtool and /metrics",
  );
  cmd
    .command('build')
    .description('regenerate dashboards/generated/*.json from dashboards/defs/')
    .option('--out <dir>', 'write them to this folder instead')
    .action(async (o: { out?: string }) => {
      const { GENERATED_DIR, writeDashboards } = await import('../dashboards/build.js');
      const dir = o.out ?? GENERATED_DIR;
      const files = await writeDashboards(dir);
      console.error(`sluice: wrote ${files.length} dashboards to ${dir}: ${files.join(', ')}`);
    });
  cmd
    .command('check')
    .description(
      "committed JSON equals the build and passes Grafana's schema; ClickHouse queries return rows from a simulated run in chDB; PromQL parses (promtool) and names exposed metrics; promtool check metrics passes",
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
