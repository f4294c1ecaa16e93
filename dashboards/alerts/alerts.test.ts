import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildDashboards } from '../index.js';
import { dashboardLink, diffCommittedRules, RULES_FILE, resolvePanel, rulesYaml, runbookAnchor, writeRules } from './build.js';
import { ALERT_GROUPS, ALERTS } from './rules.js';
import { expectedLinks, RULE_TESTS, ruleTestsYaml } from './tests.js';

const RUNBOOK = new URL('../../docs/runbook.md', import.meta.url);

/** The runbook's sections by `### <heading>`. */
async function runbookSections(): Promise<Map<string, string>> {
  const text = await readFile(RUNBOOK, 'utf8');
  const sections = new Map<string, string>();
  for (const part of text.split(/^### /m).slice(1)) {
    const nl = part.indexOf('\n');
    sections.set(part.slice(0, nl).trim(), part.slice(nl + 1).split(/^## /m)[0]!);
  }
  return sections;
}

describe('alerting rules as code', () => {
  it('the committed rule file is exactly what the code builds', async () => {
    expect(await diffCommittedRules()).toEqual([]);
  });

  it('reports a committed rule file that drifted or is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-alerts-'));
    try {
      const file = join(dir, 'sluice.rules.yml');
      expect(await diffCommittedRules(file)).toEqual([expect.stringMatching(/missing/)]);
      await writeRules(file);
      expect(await diffCommittedRules(file)).toEqual([]);
      await writeFile(file, (await readFile(file, 'utf8')).replace('for: 5m', 'for: 1m'));
      expect(await diffCommittedRules(file)).toEqual([expect.stringMatching(/differs from what dashboards\/alerts\/rules\.ts builds/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every rule has a unique name, a severity, a summary, a description and links to its runbook entry and panel', () => {
    const doc = parse(rulesYaml());
    const rules = doc.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
      alert: string;
      labels: { severity: string };
      annotations: Record<string, string>;
    }[];
    expect(rules.map((r) => r.alert)).toEqual(ALERTS.map((a) => a.alert));
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['dashboard', 'description', 'panel', 'runbook_url', 'summary']);
      expect(r.annotations.runbook_url).toBe(`docs/runbook.md#${r.alert.toLowerCase()}`);
      expect(r.annotations.panel, r.alert).toMatch(/^\/d\/sluice-[a-z]+[?&].*viewPanel=\d+$/);
    }
  });

  it('links to a full runbook and Grafana address when given bases', () => {
    const doc = parse(
      rulesYaml(ALERT_GROUPS, { runbook: 'https://git.example/sluice/blob/main/docs/runbook.md', grafana: 'https://grafana.example' }),
    );
    const level3 = doc.groups[0].rules.find((r: { alert: string }) => r.alert === 'SluiceTenantLevel3');
    expect(level3.annotations.runbook_url).toBe('https://git.example/sluice/blob/main/docs/runbook.md#sluicetenantlevel3');
    expect(level3.annotations.dashboard).toBe('https://grafana.example/d/sluice-control?var-tenant={{ $labels.tenant | urlquery }}');
  });

  it('each rule links to a panel that shows its metric, and a renamed or missing panel is refused, naming the rule', () => {
    const dashboards = buildDashboards().map((b) => b.dashboard);
    const level = resolvePanel({ dashboard: 'sluice-control', shows: 'sluice_level' }, 'X', dashboards);
    expect(JSON.stringify(level.targets)).toContain('sluice_level{');
    for (const a of ALERTS) expect(resolvePanel(a.panel, a.alert, dashboards).id, a.alert).toBeGreaterThan(0);
    expect(() => resolvePanel({ dashboard: 'sluice-control', title: 'Levels, renamed' }, 'SluiceX', dashboards)).toThrow(
      /SluiceX: dashboard sluice-control has no panel titled "Levels, renamed"/,
    );
    expect(() => resolvePanel({ dashboard: 'sluice-engine', shows: 'sluice_no_such_metric' }, 'SluiceY', dashboards)).toThrow(/SluiceY/);
    expect(() => resolvePanel({ dashboard: 'sluice-nope', shows: 'up' }, 'SluiceZ', dashboards)).toThrow(
      /no dashboard with uid sluice-nope/,
    );
  });

  it("a dashboard link sets Grafana's variables from the alert's labels, and an expected link needs the label", () => {
    expect(dashboardLink({ dashboard: 'sluice-queues', vars: { tenant: 'tenant', skill_group: 'skill_group' } })).toBe(
      '/d/sluice-queues?var-tenant={{ $labels.tenant | urlquery }}&var-skill_group={{ $labels.skill_group | urlquery }}',
    );
    const sl = ALERTS.find((a) => a.alert === 'SluiceServiceLevelBelowObjective')!;
    expect(expectedLinks(sl, { tenant: 'a b', skill_group: 'x/y' }).dashboard).toBe(
      '/d/sluice-queues?var-tenant=a%20b&var-skill_group=x%2Fy',
    );
    expect(() => expectedLinks(sl, { tenant: 'acme' })).toThrow(/var-skill_group from label skill_group/);
  });

  it('every rule has promtool unit tests in which it fires and in which it does not', () => {
    for (const a of ALERTS) {
      const checks = RULE_TESTS.flatMap((t) => t.checks).filter((c) => c.alert === a.alert);
      expect(
        checks.some((c) => c.firing.length > 0),
        `${a.alert} fires in a test`,
      ).toBe(true);
      expect(
        checks.some((c) => c.firing.length === 0),
        `${a.alert} does not fire in a test`,
      ).toBe(true);
    }
    // the tenant's rules fire per tenant, with the tenant label (and only for the tenants in the condition)
    for (const name of [
      'SluiceTenantLevel2',
      'SluiceTenantLevel3',
      'SluiceServiceLevelBelowObjective',
      'SluiceCallsRefused',
      'SluiceTenantCardinalityRefused',
    ]) {
      const fired = RULE_TESTS.flatMap((t) => t.checks)
        .filter((c) => c.alert === name)
        .flatMap((c) => c.firing);
      for (const f of fired) expect(f.labels.tenant, name).toMatch(/^[a-z]+$/);
    }
    expect(() => ruleTestsYaml('x.yml')).not.toThrow();
  });

  it('every rule has a runbook entry saying what it means, what to check, how to fix it and when it resolves', async () => {
    const sections = await runbookSections();
    for (const a of ALERTS) {
      const s = sections.get(a.alert);
      expect(s, `docs/runbook.md has no "### ${a.alert}"`).toBeDefined();
      for (const part of ['**Means.**', '**Check.**', '**Fix.**', '**Resolves.**']) expect(s, `${a.alert}: ${part}`).toContain(part);
      expect(runbookAnchor(a.alert)).toBe(a.alert.toLowerCase());
    }
  });

  it("the runbook's table lists every rule with the code's severity and duration", async () => {
    const text = await readFile(RUNBOOK, 'utf8');
    const rows = new Map(
      [...text.matchAll(/^\| \[`(Sluice\w+)`\]\(#\w+\) \| (\w+) \| ([^|]+) \|/gm)].map((m) => [
        m[1]!,
        { severity: m[2]!, for: m[3]!.trim() },
      ]),
    );
    expect([...rows.keys()].sort()).toEqual(ALERTS.map((a) => a.alert).sort());
    for (const a of ALERTS) expect(rows.get(a.alert), a.alert).toEqual({ severity: a.severity, for: a.for ?? 'at once' });
  });

  it('the shipped prometheus.yml loads the rule file', async () => {
    const configFile = new URL('../provisioning/prometheus.yml', import.meta.url);
    const config = parse(await readFile(configFile, 'utf8'));
    const path = configFile.pathname;
    expect(config.rule_files.map((f: string) => resolve(dirname(path), f))).toEqual([RULES_FILE]);
  });
});
