/**
 * Checks of the alerting rules with Debian's `promtool`: `promtool check rules` on the rule file and
 * `promtool test rules` with the unit tests of `tests.ts`, and the committed file equals the build.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exposedMetricNames, metricNames } from '../check/promql.js';
import { diffCommittedRules, RULES_FILE } from './build.js';
import { ALERTS, type AlertDef } from './rules.js';
import { RULE_TESTS, type RuleTestCase, ruleTestsYaml } from './tests.js';

const run = promisify(execFile);

/** promtool's complaints from a failed run: its output lines, less the banner lines. */
function complaints(err: unknown): string[] {
  const e = err as { stdout?: string; stderr?: string; message: string; code?: unknown };
  if (e.code === 'ENOENT')
    throw new Error("promtool not found on the PATH: install Debian's prometheus package (apt-get install -y prometheus)");
  const lines = `${e.stdout ?? ''}\n${e.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() && !/^\s*(Checking |SUCCESS|Unit Testing: )/.test(l));
  return lines.length ? lines : [e.message];
}

/** `promtool check rules <file>`: empty when it passes. */
export async function promtoolCheckRules(file = RULES_FILE): Promise<string[]> {
  try {
    await run('promtool', ['check', 'rules', file]);
    return [];
  } catch (err) {
    return complaints(err);
  }
}

/** `promtool test rules` of `cases` against `rulesFile`: empty when every test passes. */
export async function promtoolTestRules(rulesFile = RULES_FILE, cases: readonly RuleTestCase[] = RULE_TESTS): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-alerts-'));
  try {
    const tests = join(dir, 'sluice.rules.test.yml');
    await writeFile(tests, ruleTestsYaml(rulesFile, cases));
    try {
      await run('promtool', ['test', 'rules', tests], { maxBuffer: 16 * 1024 * 1024 });
      return [];
    } catch (err) {
      return complaints(err);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every check of the alerting rules, one line per problem (prefixed `alerts:`); empty when all pass. */
export async function alertRuleProblems(): Promise<string[]> {
  const problems = [...(await diffCommittedRules())];
  problems.push(...(await promtoolCheckRules()).map((l) => `promtool check rules: ${l}`));
  problems.push(...(await promtoolTestRules()).map((l) => `promtool test rules: ${l}`));
  return problems.map((p) => `alerts: ${p}`);
}

/** Metrics Prometheus makes itself, not Sluice's `/metrics`. */
const PROMETHEUS_OWN = new Set(['up']);

/** Metric names the rules select that a scrape of Sluice's `/metrics` does not expose (Prometheus' own `up` aside). */
export function alertMetricProblems(scrape: string, defs: readonly AlertDef[] = ALERTS): string[] {
  const exposed = exposedMetricNames(scrape);
  return defs.flatMap((d) =>
    metricNames(d.expr)
      .filter((m) => !exposed.has(m) && !PROMETHEUS_OWN.has(m))
      .map((m) => `alerts: ${d.alert}: ${m} is not exposed on /metrics`),
  );
}
