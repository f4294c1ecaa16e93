/** Every query the dashboards hold: panel targets and template-variable queries, by data source. */
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { QueryContext, TemplateVariable } from '../plugin/macros.js';
import { CLICKHOUSE, PROMETHEUS } from '../sdk/queries.js';

/** One query and where it sits. */
export interface DashboardQuery {
  readonly dashboard: string;
  /** Panel title and refId, or `variable <name>`. */
  readonly where: string;
  readonly kind: 'clickhouse' | 'prometheus';
  /** SQL or PromQL as written in the dashboard. */
  readonly text: string;
}

/** The panels of `d`, those inside rows included (rows themselves left out). */
export const panelsOf = (d: Dashboard): Panel[] =>
  (d.panels ?? []).flatMap((p) => (p.type === 'row' ? ((p as RowPanel).panels ?? []) : [p as Panel]));

/** The queries of `d`; throws when a target names a data source other than Sluice's two. */
export function queriesOf(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const dashboard = d.uid ?? d.title ?? '(untitled)';
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const uid = v.datasource?.uid;
    const kind = uid === CLICKHOUSE.uid ? 'clickhouse' : uid === PROMETHEUS.uid ? 'prometheus' : undefined;
    if (!kind)
      throw new Error(`${dashboard}: variable ${v.name} uses data source ${uid ?? '(none)'}, not ${CLICKHOUSE.uid} or ${PROMETHEUS.uid}`);
    out.push({ dashboard, where: `variable ${v.name}`, kind, text: String(v.query) });
  }
  for (const p of panelsOf(d)) {
    for (const t of (p.targets ?? []) as unknown as Record<string, unknown>[]) {
      const uid = (t.datasource as { uid?: string } | undefined)?.uid;
      const where = `panel "${p.title ?? ''}" ${String(t.refId ?? '')}`.trim();
      if (uid === CLICKHOUSE.uid) out.push({ dashboard, where, kind: 'clickhouse', text: String(t.rawSql) });
      else if (uid === PROMETHEUS.uid) out.push({ dashboard, where, kind: 'prometheus', text: String(t.expr) });
      else throw new Error(`${dashboard}: ${where} uses data source ${uid ?? '(none)'}`);
    }
  }
  return out;
}

/** Values for the variables of a dashboard, as a user would pick them: `tenant` and `skill_group` given, the rest from their defaults. */
export function variableValues(d: Dashboard, picked: Readonly<Record<string, TemplateVariable>>): QueryContext['variables'] {
  const vars: Record<string, TemplateVariable> = {};
  for (const v of d.templating?.list ?? []) {
    if (picked[v.name]) vars[v.name] = picked[v.name]!;
    else if (v.type === 'constant') vars[v.name] = { current: String(v.query ?? '') };
    else if (v.type === 'custom')
      vars[v.name] = { current: String((v.current?.value as string | undefined) ?? String(v.query ?? '').split(',')[0]) };
    // A query variable of the other data source (the service-level variant, read from Prometheus): its stored value.
    else if (v.type === 'query' && typeof v.current?.value === 'string') vars[v.name] = { current: v.current.value };
  }
  return vars;
}
