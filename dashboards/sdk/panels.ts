/**
 * Panel and variable helpers over the foundation SDK, so each dashboard file reads as a list of
 * panels: shown legends, units, sizes on the 24-column grid, and the template variables every
 * call-center dashboard shares (tenant, skill group; the ClickHouse database as a constant).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  ConstantVariableBuilder,
  CustomVariableBuilder,
  DashboardBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Panel,
  type RowPanel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StateTimelineBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import { declare, describeSpec, type PanelSpec } from './declare.js';
import { CLICKHOUSE } from './queries.js';

/** Size on Grafana's grid: `w` of 24 columns, `h` rows of 30 px. */
export interface Size {
  w: number;
  h: number;
}

const legend = (table = false) =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(table ? common.LegendDisplayMode.Table : common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .calcs(table ? ['mean', 'max', 'lastNotNull'] : []);

/** Shows the declaration as the panel's description and records it for the checks (the unit is set where it was). */
function declared<B extends { build(): object; description(d: string): B }>(p: B, spec: PanelSpec): B {
  p.description(describeSpec(spec));
  declare(p.build(), spec);
  return p;
}

/** A time series panel. `stacked` stacks the series (parts of a whole, e.g. agents by state). */
export function timeseries(
  title: string,
  spec: PanelSpec,
  targets: cog.Builder<cog.Dataquery>[],
  o: { size?: Size; stacked?: boolean; bars?: boolean } = {},
): TimeseriesBuilder {
  const p = new TimeseriesBuilder()
    .title(title)
    .unit(spec.unit)
    .targets(targets)
    .span(o.size?.w ?? 12)
    .height(o.size?.h ?? 8)
    .legend(legend())
    .lineWidth(1)
    .fillOpacity(o.stacked ? 60 : 10);
  if (o.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  if (spec.range[0] === 0 || spec.bounded) p.min(spec.range[0]);
  if (spec.bounded && Number.isFinite(spec.range[1])) p.max(spec.range[1]);
  return declared(p, spec);
}

/** A single-figure panel (last value, with a sparkline). */
export function stat(
  title: string,
  spec: PanelSpec,
  targets: cog.Builder<cog.Dataquery>[],
  o: { size?: Size; decimals?: number } = {},
): StatBuilder {
  const p = new StatBuilder()
    .title(title)
    .unit(spec.unit)
    .targets(targets)
    .span(o.size?.w ?? 6)
    .height(o.size?.h ?? 5)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.Area);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  return declared(p, spec);
}

/** A table panel; `spec.columns` declares the columns whose unit or range differ from the panel's. */
export function table(title: string, spec: PanelSpec, targets: cog.Builder<cog.Dataquery>[], o: { size?: Size } = {}): TableBuilder {
  const p = new TableBuilder()
    .title(title)
    .unit(spec.unit)
    .targets(targets)
    .span(o.size?.w ?? 12)
    .height(o.size?.h ?? 8);
  return declared(p, spec);
}

/** A state timeline (one lane per series: levels, breaker states). */
export function timeline(
  title: string,
  spec: PanelSpec,
  targets: cog.Builder<cog.Dataquery>[],
  o: { size?: Size } = {},
): StateTimelineBuilder {
  const p = new StateTimelineBuilder()
    .title(title)
    .unit(spec.unit)
    .targets(targets)
    .span(o.size?.w ?? 12)
    .height(o.size?.h ?? 8);
  return declared(p, spec);
}

/** `database`: where Sluice's tables live (`CLICKHOUSE_DATABASE`), a constant so each query names it. */
export const databaseVariable = () =>
  new ConstantVariableBuilder('database').value('sluice').description("ClickHouse database holding Sluice's tables (CLICKHOUSE_DATABASE).");

/** `tenant`: one tenant at a time (figures of different tenants are never mixed). */
export const tenantVariable = () =>
  new QueryVariableBuilder('tenant')
    .label('Tenant')
    .datasource({ ...CLICKHOUSE })
    .query('SELECT DISTINCT tenant FROM ${database}.skillgroup_minute ORDER BY tenant')
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc);

/** `skill_group`: several skill groups or All, within the tenant. */
export const skillGroupVariable = () =>
  new QueryVariableBuilder('skill_group')
    .label('Skill group')
    .datasource({ ...CLICKHOUSE })
    .query('SELECT DISTINCT skill_group FROM ${database}.skillgroup_minute WHERE tenant = ${tenant:singlequote} ORDER BY skill_group')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true);

/** `interval`: the report interval in minutes (15 or 30, as `SLUICE_INTERVAL_MINUTES`). */
export const intervalVariable = () =>
  new CustomVariableBuilder('interval').label('Interval (minutes)').values('15,30').current({ text: '15', value: '15' });

/** The SQL filter on the two variables, for a table with `tenant` and `skill_group` columns. */
export const TENANT_AND_GROUPS = 'tenant = ${tenant:singlequote} AND $__conditionalAll(skill_group IN (${skill_group}), $skill_group)';
/** The PromQL label matchers on the two variables. */
export const PROM_SCOPE = 'tenant="$tenant", skill_group=~"$skill_group"';

/**
 * Gives every panel a unique id, its data source (that of its targets, or Mixed) and every target a
 * refId (`A`, `B`, …) where the SDK left them out, so the JSON is stable and Grafana needs not fill them in.
 */
/** What every Sluice dashboard states in its header. */
export interface DashboardHeader {
  readonly title: string;
  readonly uid: string;
  readonly tags: string[];
  readonly description: string;
  /** Auto-refresh, e.g. `10s`. */
  readonly refresh: string;
  /** Start of the default time range, e.g. `now-6h` (it ends now). */
  readonly from: string;
  /** Add the `database`, `tenant` and `skill_group` variables (default true; engine health is per process). */
  readonly callCenterVariables?: boolean;
}

/** A dashboard builder with a Sluice header: uid, tags, refresh, time range in the browser's zone, and the usual variables. */
export function sluiceDashboard(h: DashboardHeader): DashboardBuilder {
  const b = new DashboardBuilder(h.title)
    .uid(h.uid)
    .tags(h.tags)
    .description(h.description)
    .refresh(h.refresh)
    .time({ from: h.from, to: 'now' })
    .timezone('browser');
  return h.callCenterVariables === false
    ? b
    : b.withVariable(databaseVariable()).withVariable(tenantVariable()).withVariable(skillGroupVariable());
}

export function finishDashboard(d: Dashboard): Dashboard {
  let id = 1;
  const fix = (p: Panel | RowPanel) => {
    p.id = id++;
    if ('targets' in p && p.targets) {
      p.targets.forEach((t, i) => {
        (t as { refId?: string }).refId ??= String.fromCharCode(65 + i);
      });
      // The panel's data source: the one its targets share, or Grafana's Mixed when they differ.
      const uids = new Set(p.targets.map((t) => (t as { datasource?: { uid?: string } }).datasource?.uid));
      const first = (p.targets[0] as { datasource?: { type?: string; uid?: string } } | undefined)?.datasource;
      p.datasource ??= uids.size === 1 && first ? { ...first } : { type: 'datasource', uid: '-- Mixed --' };
    }
    if (p.type === 'row') for (const inner of (p as RowPanel).panels ?? []) fix(inner as Panel);
  };
  for (const p of d.panels ?? []) fix(p);
  return d;
}
