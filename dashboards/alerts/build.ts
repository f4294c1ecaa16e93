/** Renders the alerting rules of `rules.ts` as a Prometheus rule file, writes it and compares it with what is committed. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { stringify } from 'yaml';
import { metricNames } from '../check/promql.js';
import { buildDashboards } from '../index.js';
import { PROMETHEUS } from '../sdk/queries.js';
import { ALERT_GROUPS, type AlertDef, type AlertGroup, type PanelRef } from './rules.js';

/** The committed rule file, loaded by the shipped `prometheus.yml` under `rule_files`. */
export const RULES_FILE = fileURLToPath(new URL('../provisioning/alerts/sluice.rules.yml', import.meta.url));

/** Where links in the annotations point. */
export interface LinkBases {
  /**
   * Prefix of `runbook_url` (the runbook's heading anchor follows): default `docs/runbook.md`, relative to a Sluice
   * checkout or installed package; pass your repository's web address to make it a full link.
   */
  readonly runbook?: string;
  /** Prefix of the `dashboard` and `panel` links, your Grafana's root URL; default '' (a path from Grafana's root). */
  readonly grafana?: string;
}

export const DEFAULT_RUNBOOK = 'docs/runbook.md';

/** The runbook anchor of an alert (GitHub's slug of the `### <alert>` heading). */
export const runbookAnchor = (alert: string): string => alert.toLowerCase();

const panelsOf = (d: Dashboard): Panel[] =>
  (d.panels ?? []).flatMap((p) => (p.type === 'row' ? ((p as RowPanel).panels ?? []) : [p as Panel]));

/** The panel a {@link PanelRef} names, from freshly built dashboards; throws, naming the rule, when there is none. */
export function resolvePanel(
  ref: PanelRef,
  alert: string,
  dashboards: readonly Dashboard[] = buildDashboards().map((b) => b.dashboard),
): Panel {
  const d = dashboards.find((x) => x.uid === ref.dashboard);
  if (!d) throw new Error(`${alert}: no dashboard with uid ${ref.dashboard}`);
  const panel = panelsOf(d).find((p) => {
    if (ref.title !== undefined && p.title !== ref.title) return false;
    if (ref.shows === undefined) return true;
    if (p.datasource?.uid !== PROMETHEUS.uid) return false;
    const exprs = ((p.targets ?? []) as unknown as { expr?: string }[]).map((t) => t.expr ?? '');
    return exprs.some((e) => metricNames(e).some((m) => m.startsWith(ref.shows!)));
  });
  const what = [ref.title && `titled "${ref.title}"`, ref.shows && `showing ${ref.shows}*`].filter(Boolean).join(' and ');
  if (!panel || panel.id === undefined) throw new Error(`${alert}: dashboard ${ref.dashboard} has no panel ${what}`);
  return panel;
}

/** The dashboard link of a rule, as a Prometheus template: Grafana variables set from the alert's labels. */
export function dashboardLink(ref: PanelRef, grafana = ''): string {
  const vars = Object.entries(ref.vars ?? {}).map(([v, label]) => `var-${v}={{ $labels.${label} | urlquery }}`);
  return `${grafana}/d/${ref.dashboard}${vars.length ? `?${vars.join('&')}` : ''}`;
}

/** The rule as Prometheus reads it. */
function ruleYaml(def: AlertDef, panel: Panel, bases: LinkBases) {
  const dashboard = dashboardLink(def.panel, bases.grafana);
  return {
    alert: def.alert,
    expr: def.expr,
    ...(def.for ? { for: def.for } : {}),
    labels: { severity: def.severity },
    annotations: {
      summary: def.summary,
      description: def.description,
      runbook_url: `${bases.runbook ?? DEFAULT_RUNBOOK}#${runbookAnchor(def.alert)}`,
      dashboard,
      panel: `${dashboard}${dashboard.includes('?') ? '&' : '?'}viewPanel=${panel.id}`,
    },
  };
}

const HEADER = `# Sluice's Prometheus alerting rules. Generated from dashboards/alerts/rules.ts by \`sluice dashboards build\`:
# do not edit here. Each alert's runbook entry is in docs/runbook.md (its runbook_url annotation).
`;

/** The rule file's text for `groups`. */
export function rulesYaml(groups: readonly AlertGroup[] = ALERT_GROUPS, bases: LinkBases = {}): string {
  const dashboards = buildDashboards().map((b) => b.dashboard);
  const doc = {
    groups: groups.map((g) => ({
      name: g.name,
      rules: g.rules.map((r) => ruleYaml(r, resolvePanel(r.panel, r.alert, dashboards), bases)),
    })),
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

/** Writes the rule file (default: the committed one); returns its path. */
export async function writeRules(file = RULES_FILE, bases: LinkBases = {}): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, rulesYaml(ALERT_GROUPS, bases));
  return file;
}

/** Differences between the rules the code builds and the committed file: empty when equal. */
export async function diffCommittedRules(file = RULES_FILE): Promise<string[]> {
  const committed = await readFile(file, 'utf8').catch(() => undefined);
  if (committed === undefined) return [`${file}: missing (run \`sluice dashboards build\`)`];
  if (committed !== rulesYaml())
    return [`${file}: differs from what dashboards/alerts/rules.ts builds (run \`sluice dashboards build\` and commit)`];
  return [];
}
