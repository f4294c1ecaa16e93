import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedSluice, type SimulatedRun } from '../../bench/dashboards/simulate.js';
import { RULES_FILE, rulesYaml } from '../../dashboards/alerts/build.js';
import { alertMetricProblems, promtoolCheckRules, promtoolTestRules } from '../../dashboards/alerts/check.js';
import { ALERT_GROUPS, ALERTS, type AlertGroup } from '../../dashboards/alerts/rules.js';
import { RULE_TESTS } from '../../dashboards/alerts/tests.js';
import { requirePromtool } from '../../dashboards/check/promql.js';

const run = promisify(execFile);

/** The rule groups with one rule changed. */
const changed = (alert: string, change: Record<string, string>): AlertGroup[] =>
  ALERT_GROUPS.map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === alert ? { ...r, ...change } : r)) }));

// Debian's promtool (2.42) checks the committed rule file, runs its unit tests, and shows that the tests catch a rule
// that fires too early, one that forgets the quiet-queue gate and one that loses the tenant label.
describe('alerting rules with promtool', () => {
  let dir: string;
  beforeAll(async () => {
    await requirePromtool(); // fails with how to install it (Debian's prometheus package) when missing
    dir = await mkdtemp(join(tmpdir(), 'sluice-alerts-it-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('promtool check rules passes on the committed rule file, with every rule', async () => {
    expect(await promtoolCheckRules()).toEqual([]);
    const { stdout } = await run('promtool', ['check', 'rules', RULES_FILE]);
    expect(stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  });

  it('promtool check rules refuses a rule that does not parse, naming it', async () => {
    const file = join(dir, 'broken.rules.yml');
    await writeFile(file, rulesYaml(changed('SluiceDown', { expr: 'up{job="sluice"} ==' })));
    expect((await promtoolCheckRules(file)).join('\n')).toMatch(/SluiceDown|parse error/);
  });

  it('promtool test rules passes: every rule fires and stays quiet where its tests say, with its labels and annotations', async () => {
    expect(RULE_TESTS.length).toBeGreaterThanOrEqual(10);
    expect(await promtoolTestRules()).toEqual([]);
  });

  it('the tests fail for an L3 rule that fires after 1 minute instead of 5', async () => {
    const file = join(dir, 'early.rules.yml');
    await writeFile(file, rulesYaml(changed('SluiceTenantLevel3', { for: '1m' })));
    const out = (await promtoolTestRules(file)).join('\n');
    expect(out).toMatch(/alertname: SluiceTenantLevel3, time: 6m/);
    expect(out).not.toMatch(/alertname: SluiceTenantLevel2/);
  });

  it('the tests fail for a service-level rule without the quiet-queue gate, and for a level rule that drops the tenant', async () => {
    const sl = ALERTS.find((a) => a.alert === 'SluiceServiceLevelBelowObjective')!;
    const ungated = join(dir, 'ungated.rules.yml');
    await writeFile(ungated, rulesYaml(changed(sl.alert, { expr: sl.expr.slice(0, sl.expr.indexOf(' and on ')) })));
    expect((await promtoolTestRules(ungated)).join('\n')).toMatch(/alertname: SluiceServiceLevelBelowObjective[\s\S]*skill_group="night"/);
    const untenanted = join(dir, 'untenanted.rules.yml');
    await writeFile(untenanted, rulesYaml(changed('SluiceTenantLevel2', { expr: 'max(sluice_level) >= 2' })));
    expect((await promtoolTestRules(untenanted)).join('\n')).toMatch(/alertname: SluiceTenantLevel2/);
  });

  it('the shipped prometheus.yml with its rule file passes promtool check config', async () => {
    const conf = join(dir, 'prometheus');
    await mkdir(join(conf, 'alerts'), { recursive: true });
    const key = join(conf, 'sluice-platform-key');
    await writeFile(key, 'test-key\n');
    const shipped = await readFile(new URL('../../dashboards/provisioning/prometheus.yml', import.meta.url), 'utf8');
    expect(shipped).toContain('credentials_file: /etc/prometheus/sluice-platform-key');
    await writeFile(join(conf, 'prometheus.yml'), shipped.replace('/etc/prometheus/sluice-platform-key', key));
    await copyFile(RULES_FILE, join(conf, 'alerts', 'sluice.rules.yml'));
    const { stdout } = await run('promtool', ['check', 'config', join(conf, 'prometheus.yml')]);
    expect(stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  });
});

describe('alerting rules against a scrape of a simulated run', () => {
  let sim: SimulatedRun;
  let scrape: string;
  beforeAll(async () => {
    sim = await simulatedSluice({ minutes: 20 });
    scrape = (await sim.sluice.app.inject({ url: '/metrics' })).body;
  });
  afterAll(async () => {
    await sim?.sluice.close();
  });

  it('the rules select only metrics /metrics exposes', () => {
    const missing = alertMetricProblems(scrape).map((l) => /: (\w+) is not exposed/.exec(l)![1]!);
    expect(missing).toEqual([]);
  });

  it('reports a rule naming a metric Sluice does not expose', () => {
    const bogus = { ...ALERTS[0]!, alert: 'SluiceBogus', expr: 'sluice_no_such_metric > 0 and up == 0' };
    expect(alertMetricProblems(scrape, [bogus])).toEqual(['alerts: SluiceBogus: sluice_no_such_metric is not exposed on /metrics']);
  });
});
