/**
 * The check that every panel tells the truth: each query of each panel, evaluated as Grafana evaluates it
 * (Prometheus through its HTTP API with the data source's substitutions, ClickHouse expanded as the plugin
 * expands it), must return series (rows), and every value must lie within the range the panel declares
 * (`dashboards/sdk/declare.ts`); NaN and ±Inf never do unless the panel declares them, and a query whose
 * values are all NaN fails even then. Each problem names the dashboard, the panel, the query and the reason.
 */
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import type { DashboardFile } from '../index.js';
import { expandQuery, type TemplateVariable } from '../plugin/macros.js';
import { declarationOf, type PanelSpec, rangeText, type ValueSpec } from '../sdk/declare.js';
import { CLICKHOUSE, PROMETHEUS } from '../sdk/queries.js';
import type { PromApi, PromSeries } from './prometheus.js';
import { expandPromQL, type PromVariables } from './promql.js';
import { panelsOf, variableValues } from './targets.js';

/** The time range a dashboard user looks at and what Grafana derives from it. */
export interface GrafanaTime {
  readonly fromMs: number;
  readonly toMs: number;
  /** The Prometheus data source's scrape interval (its `timeInterval`), ms: the floor of `$__interval`. */
  readonly scrapeIntervalMs: number;
  /** Points Grafana asks for (a panel's width in pixels; default 1 000). */
  readonly maxDataPoints?: number;
}

/** Grafana's `roundInterval` (packages/grafana-data/src/datetime/rangeutil.ts): an interval rounded to a readable one, ms. */
export function roundInterval(ms: number): number {
  const steps: [below: number, to: number][] = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, to] of steps) if (ms < below) return to;
  return 31_536_000_000;
}

/**
 * `$__interval`, `$__rate_interval` and `$__range` as Grafana's Prometheus data source computes them:
 * interval = max(scrape interval, roundInterval(range / maxDataPoints)); rate interval = max(interval +
 * scrape interval, 4 × scrape interval); range in whole seconds.
 */
export function grafanaIntervals(t: GrafanaTime): { intervalMs: number; rateIntervalMs: number; rangeS: number } {
  const intervalMs = Math.max(t.scrapeIntervalMs, roundInterval((t.toMs - t.fromMs) / (t.maxDataPoints ?? 1_000)));
  return {
    intervalMs,
    rateIntervalMs: Math.max(intervalMs + t.scrapeIntervalMs, 4 * t.scrapeIntervalMs),
    rangeS: Math.round((t.toMs - t.fromMs) / 1000),
  };
}

/** A duration as PromQL writes it: `4s`, `1500ms`. */
export const promDuration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** Why a value is not what its declaration allows, or undefined when it is. */
export function valueProblem(spec: ValueSpec, raw: number | string): string | undefined {
  const v =
    typeof raw === 'number'
      ? raw
      : Number(
          raw
            .replace(/^\+?inf$/i, 'Infinity')
            .replace(/^-inf$/i, '-Infinity')
            .replace(/^nan$/i, 'NaN'),
        );
  if (Number.isNaN(v)) return spec.nonFinite?.includes('NaN') ? undefined : 'NaN';
  if (v === Infinity) return spec.nonFinite?.includes('+Inf') ? undefined : '+Inf';
  if (v === -Infinity) return spec.nonFinite?.includes('-Inf') ? undefined : '-Inf';
  return v < spec.range[0] || v > spec.range[1] ? String(v) : undefined;
}

/** What one query of one panel returned, and what is wrong with it. */
export interface QueryCheck {
  readonly dashboard: string;
  readonly panel: string;
  /** The panel's type (`timeseries`, `stat`, `table`…). */
  readonly panelType: string;
  /** The query's refId (`A`, `B`…). */
  readonly refId: string;
  readonly kind: 'prometheus' | 'clickhouse';
  /** Which variable choice, e.g. `skill_group=All`. */
  readonly choice: string;
  /** The query as sent, variables substituted. */
  readonly query: string;
  /** Series (Prometheus) or rows (ClickHouse) returned. */
  readonly series: number;
  /** Values checked. */
  readonly values: number;
  /** Empty when the query returned series and every value is within the declared range. */
  readonly problems: string[];
}

/** What every dashboards check reports (on a simulated run, on `sluice demo`): its problems, panel runs and counts. */
export interface CheckSummary {
  /** One line per problem; empty when every check passed. */
  readonly problems: string[];
  /** Every panel query evaluated, with its values' problems. */
  readonly panels: readonly QueryCheck[];
  /** What was checked, for the summary line. */
  readonly counted: {
    dashboards: number;
    promql: number;
    exposedMetrics: number;
    prometheusQueries: number;
    clickhousePanelQueries: number;
  };
}

/** One line per problem: `dashboard / panel "title" A (choice): reason`. */
export function problemLines(checks: readonly QueryCheck[]): string[] {
  return checks.flatMap((c) => c.problems.map((p) => `${c.dashboard} / panel "${c.panel}" ${c.refId} (${c.choice}): ${p}`));
}

/** Groups a query's out-of-range values into one problem line each per reason, with a few examples. */
function rangeProblems(
  found: { column?: string; value: string; at: string }[],
  total: number,
  specOf: (column?: string) => ValueSpec,
): string[] {
  const byColumn = new Map<string, typeof found>();
  for (const f of found) byColumn.set(f.column ?? '', [...(byColumn.get(f.column ?? '') ?? []), f]);
  return [...byColumn].map(([column, fs]) => {
    const spec = specOf(column || undefined);
    const examples = fs
      .slice(0, 3)
      .map((f) => `${f.value} ${f.at}`)
      .join('; ');
    return `${fs.length} of ${total} values${column ? ` of column ${column}` : ''} outside the declared ${spec.unit} range ${rangeText(spec.range)}${spec.nonFinite?.length ? ` (+${spec.nonFinite.join(', ')})` : ''}: ${examples}`;
  });
}

const labelsText = (m: Readonly<Record<string, string>>) =>
  `{${Object.entries(m)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

const isoS = (s: number) => new Date(s * 1000).toISOString().slice(11, 19);

/** Checks the values of a query's series against the panel's declaration. */
export function checkSeries(spec: PanelSpec, series: readonly PromSeries[]): { values: number; problems: string[] } {
  if (series.length === 0) return { values: 0, problems: ['no series'] };
  const found: { value: string; at: string }[] = [];
  let values = 0;
  let finite = 0;
  for (const s of series)
    for (const [t, v] of s.values) {
      values++;
      if (Number.isFinite(Number(v))) finite++;
      const bad = valueProblem(spec, v);
      if (bad !== undefined) found.push({ value: bad, at: `at ${isoS(t)} ${labelsText(s.metric)}` });
    }
  const problems = rangeProblems(found, values, () => spec);
  if (finite === 0 && found.length === 0) problems.push(`no finite value: all ${values} values are ${series[0]!.values[0]?.[1]}`);
  return { values, problems };
}

/** The run a dashboard is checked against: the tenant and skill groups to pick, and the time range. */
export interface CheckContext extends GrafanaTime {
  readonly tenant: string;
  readonly skillGroups: readonly string[];
  /**
   * Each dashboard's own variables by dashboard uid, as {@link dashboardVariables} resolves them for the tenant
   * (the service-level variant and threshold among them). Without, Prometheus panels resolve them themselves and
   * ClickHouse panels take each Prometheus query variable's stored value.
   */
  readonly variables?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** {@link promDashboardVariables} of every dashboard for the tenant at `atS`, by dashboard uid, and what had no value. */
export async function dashboardVariables(
  api: PromApi,
  dashboards: readonly DashboardFile[],
  tenant: string,
  atS: number,
): Promise<{ values: Record<string, Readonly<Record<string, string>>>; problems: string[] }> {
  const values: Record<string, Readonly<Record<string, string>>> = {};
  const problems: string[] = [];
  for (const { dashboard } of dashboards) {
    const r = await promDashboardVariables(dashboard, api, atS, tenant);
    values[dashboard.uid ?? ''] = r.values;
    problems.push(...r.problems);
  }
  return { values, problems };
}

/** The variable choices each query is run with: every skill group (All), and the first alone. */
const choices = (c: CheckContext): [choice: string, groups: readonly string[]][] => [
  ['skill_group=All', c.skillGroups],
  [`skill_group=${c.skillGroups[0]}`, c.skillGroups.slice(0, 1)],
];

type Target = { refId?: string; expr?: string; rawSql?: string; instant?: boolean; range?: boolean; datasource?: { uid?: string } };

const targetsOf = (p: Panel) => (p.targets ?? []) as unknown as Target[];

/** A Grafana variable regex (`/pattern/flags`, or a bare pattern) as a JavaScript RegExp, global. */
function variableRegex(text: string): RegExp {
  const m = /^\/(.*)\/([gimsuy]*)$/s.exec(text);
  const [source, flags] = m ? [m[1]!, m[2]!] : [text, ''];
  return new RegExp(source, flags.includes('g') ? flags : `${flags}g`);
}

/**
 * The options of a variable from its query's texts, as Grafana's `metricNamesToVariableValues` makes them: without
 * a regex each text; with one, the named group `value` (or `text`) of each match, else the first group of every
 * match, else the whole match; duplicates dropped, order kept.
 */
export function variableOptions(texts: readonly string[], regex?: string): string[] {
  const out: string[] = [];
  for (const text of texts) {
    if (!regex) {
      out.push(text);
      continue;
    }
    const matches = [...text.matchAll(variableRegex(regex))];
    if (matches.length === 0) continue;
    const named = matches.find((m) => m.groups?.value ?? m.groups?.text);
    if (named) out.push((named.groups!.value ?? named.groups!.text)!);
    else if (matches.some((m) => m.length > 1)) for (const m of matches.filter((x) => x.length > 1)) out.push(m[1]!);
    else out.push(matches[0]![0]);
  }
  return [...new Set(out)];
}

/** One line of Grafana's `query_result()`: `name{label="value",…} value timestamp_ms` (metric_find_query.ts). */
export const queryResultText = (s: PromSeries): string => {
  const { __name__: name = '', ...labels } = s.metric;
  const [t, v] = s.values[0] ?? [0, ''];
  return `${name}{${Object.entries(labels)
    .map(([k, x]) => `${k}="${x}"`)
    .join(',')}} ${v} ${t * 1000}`;
};

/** The values Grafana gives a dashboard's Prometheus query variables for a tenant, and the variables it could give none. */
export interface PromVariableValues {
  /** Constants, custom variables and Prometheus query variables, by name. */
  readonly values: Readonly<Record<string, string>>;
  /** One line per Prometheus query variable without a value. */
  readonly problems: readonly string[];
}

/**
 * Values of the dashboard's own variables for the tenant, as Grafana sets them on load: constants and custom
 * variables at their value; a Prometheus query variable evaluated through `api` at `atS` with the variables before
 * it substituted (`label_values(selector, label)`: the label's values on the selected series, sorted;
 * `query_result(expr)`: one text per series of the instant query, as Grafana writes them), its regex applied; then
 * All (its `allValue`, or every option) where it offers All, else its current value when that is an option, else
 * its first option — for `sl_variant` and `sl_threshold`, the tenant's one variant and threshold.
 */
export async function promDashboardVariables(d: Dashboard, api: PromApi, atS: number, tenant: string): Promise<PromVariableValues> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'constant') out[v.name] = String(v.query ?? '');
    else if (v.type === 'custom') out[v.name] = String((v.current?.value as string | undefined) ?? String(v.query ?? '').split(',')[0]);
    else if (v.type === 'query' && v.datasource?.uid === PROMETHEUS.uid) {
      if (v.includeAll && v.allValue) {
        out[v.name] = v.allValue;
        continue;
      }
      const query = expandPromQL(String(v.query), { single: { ...out, tenant } });
      const labels = /^\s*label_values\((.*),\s*(\w+)\s*\)\s*$/s.exec(query);
      const result = /^\s*query_result\((.*)\)\s*$/s.exec(query);
      let texts: string[];
      if (labels) {
        const series = await api.query(`group by (${labels[2]}) (${labels[1]})`, atS);
        texts = [...new Set(series.map((s) => s.metric[labels[2]!] ?? ''))].filter((x) => x !== '').sort();
      } else if (result) texts = (await api.query(result[1]!, atS)).map(queryResultText);
      else
        throw new Error(
          `${d.uid}: variable ${v.name}: only label_values(selector, label) and query_result(expr) are resolved by the check`,
        );
      const options = variableOptions(texts, typeof v.regex === 'string' && v.regex !== '' ? v.regex : undefined);
      if (options.length === 0) {
        problems.push(`${d.uid} / variable ${v.name}: no value for tenant ${tenant} (${query})`);
        continue;
      }
      const current = typeof v.current?.value === 'string' ? v.current.value : undefined;
      out[v.name] =
        v.includeAll || v.multi ? `(${options.join('|')})` : current !== undefined && options.includes(current) ? current : options[0]!;
    }
  }
  return { values: out, problems };
}

/**
 * Runs every Prometheus query of every panel through `api` as Grafana would for the time range of `c`:
 * range queries (`query_range`, step `$__interval`) for time series, instant queries at the end of the
 * range for stat panels; with skill group All and with one skill group where the query names it.
 */
export async function checkPrometheusPanels(api: PromApi, dashboards: readonly DashboardFile[], c: CheckContext): Promise<QueryCheck[]> {
  const { intervalMs, rateIntervalMs, rangeS } = grafanaIntervals(c);
  const builtins = { __interval: promDuration(intervalMs), __rate_interval: promDuration(rateIntervalMs), __range: `${rangeS}s` };
  const startS = Math.floor(c.fromMs / intervalMs) * (intervalMs / 1000);
  const endS = Math.floor(c.toMs / intervalMs) * (intervalMs / 1000);
  const out: QueryCheck[] = [];
  for (const { dashboard } of dashboards) {
    const own = c.variables?.[dashboard.uid ?? ''] ?? (await promDashboardVariables(dashboard, api, endS, c.tenant)).values;
    for (const panel of panelsOf(dashboard)) {
      const spec = declarationOf(panel);
      for (const t of targetsOf(panel).filter((x) => x.datasource?.uid === PROMETHEUS.uid)) {
        const text = t.expr ?? '';
        const picks = /\$\{?skill_group\b/.test(text) ? choices(c) : [['all', c.skillGroups] as [string, readonly string[]]];
        for (const [choice, groups] of picks) {
          const vars: PromVariables = { single: { ...own, tenant: c.tenant }, multi: { skill_group: groups } };
          const query = expandPromQL(text, vars, builtins);
          const base = queryBase(dashboard, panel, t.refId, 'prometheus', choice, query);
          out.push(
            await checkedQuery(base, spec, async (sp) => {
              const series = t.instant ? await api.query(query, endS) : await api.queryRange(query, startS, endS, intervalMs / 1000);
              return { series: series.length, ...checkSeries(sp, series) };
            }),
          );
        }
      }
    }
  }
  return out;
}

/** What names one query run of one panel: dashboard, panel, query, variable choice. */
type QueryBase = Omit<QueryCheck, 'series' | 'values' | 'problems'>;

const queryBase = (
  dashboard: Dashboard,
  panel: { title?: string; type: string },
  refId: string | undefined,
  kind: QueryCheck['kind'],
  choice: string,
  query: string,
): QueryBase => ({
  dashboard: dashboard.uid ?? '',
  panel: panel.title ?? '',
  panelType: panel.type,
  refId: refId ?? '',
  kind,
  choice,
  query,
});

/** Runs one query of a declared panel and checks what came back; an undeclared panel or a failed query is a problem. */
async function checkedQuery(
  base: QueryBase,
  spec: PanelSpec | undefined,
  run: (spec: PanelSpec) => Promise<{ series: number; values: number; problems: string[] }>,
): Promise<QueryCheck> {
  if (!spec) return { ...base, series: 0, values: 0, problems: ['no declaration (unit, range, meaning)'] };
  try {
    return { ...base, ...(await run(spec)) };
  } catch (err) {
    return { ...base, series: 0, values: 0, problems: [`query failed: ${(err as Error).message.split('\n')[0]}`] };
  }
}

/** The Prometheus query variables of a dashboard (the service-level variant and threshold) at their resolved values. */
const promPicked = (d: Dashboard, c: CheckContext): Record<string, TemplateVariable> => {
  const resolved = c.variables?.[d.uid ?? ''] ?? {};
  const out: Record<string, TemplateVariable> = {};
  for (const v of d.templating?.list ?? [])
    if (v.type === 'query' && v.datasource?.uid === PROMETHEUS.uid && resolved[v.name] !== undefined)
      out[v.name] = { current: resolved[v.name]! };
  return out;
};

/** ClickHouse types whose values are numbers to hold to a range (`Nullable`/`LowCardinality` unwrapped). */
const NUMERIC = /^(?:Nullable\(|LowCardinality\()*(?:U?Int\d+|Float\d+|Decimal)/;

/**
 * Runs every ClickHouse query of every panel on `ch` as the plugin expands it (time range of `c`, panel
 * interval `$__interval`), with skill group All and with one skill group; checks every numeric column of
 * every row against the panel's declaration (a table's column against its own, when declared).
 */
export async function checkClickHousePanels(
  ch: Pick<ClickHouse, 'client' | 'database'>,
  dashboards: readonly DashboardFile[],
  c: CheckContext,
): Promise<QueryCheck[]> {
  const out: QueryCheck[] = [];
  const intervalMs = Math.max(60_000, roundInterval((c.toMs - c.fromMs) / (c.maxDataPoints ?? 1_000)));
  for (const { dashboard } of dashboards) {
    for (const panel of panelsOf(dashboard)) {
      const spec = declarationOf(panel);
      for (const t of targetsOf(panel).filter((x) => x.datasource?.uid === CLICKHOUSE.uid)) {
        const picks = /\$\{?skill_group\b/.test(t.rawSql ?? '') ? choices(c) : [['all', c.skillGroups] as const];
        for (const [choice, groups] of picks) {
          const picked: Record<string, TemplateVariable> = {
            ...promPicked(dashboard, c),
            tenant: { current: c.tenant },
            database: { current: ch.database },
            skill_group: groups === c.skillGroups ? { current: '$__all', options: c.skillGroups } : { current: [...groups] },
          };
          const query = expandQuery(t.rawSql ?? '', {
            fromMs: c.fromMs,
            toMs: c.toMs,
            intervalMs,
            variables: variableValues(dashboard, picked),
          });
          const base = queryBase(dashboard, panel, t.refId, 'clickhouse', choice, query);
          out.push(
            await checkedQuery(base, spec, async (sp) => {
              const rs = await ch.client.query({
                query,
                format: 'JSON',
                // NaN and infinities as "nan"/"inf" (not null, which is SQL NULL: a gap, no value).
                clickhouse_settings: { output_format_json_quote_denormals: 1, output_format_json_quote_64bit_integers: 0 },
              });
              const body = (await rs.json()) as { meta: { name: string; type: string }[]; data: Record<string, unknown>[] };
              return { series: body.data.length, ...checkRows(sp, body.meta, body.data) };
            }),
          );
        }
      }
    }
  }
  return out;
}

/** Checks the numeric columns of ClickHouse rows against the panel's declaration (`time` is the time axis, not a value). */
export function checkRows(
  spec: PanelSpec,
  meta: readonly { name: string; type: string }[],
  rows: readonly Record<string, unknown>[],
): { values: number; problems: string[] } {
  if (rows.length === 0) return { values: 0, problems: ['no rows'] };
  const numeric = meta.filter((m) => m.name !== 'time' && NUMERIC.test(m.type)).map((m) => m.name);
  if (numeric.length === 0) return { values: 0, problems: ['no numeric column'] };
  const specOf = (column?: string) => (column && spec.columns?.[column]) || spec;
  const unknown = Object.keys(spec.columns ?? {}).filter((c) => !meta.some((m) => m.name === c));
  const found: { column?: string; value: string; at: string }[] = [];
  let values = 0;
  rows.forEach((row, i) => {
    for (const column of numeric) {
      const v = row[column];
      if (v === null || v === undefined) continue; // SQL NULL: Grafana shows nothing
      values++;
      const bad = valueProblem(specOf(column), v as number | string);
      if (bad !== undefined) found.push({ column, value: bad, at: `in row ${i + 1}` });
    }
  });
  const problems = rangeProblems(found, values, specOf);
  if (values === 0) problems.push('every value is NULL');
  if (unknown.length) problems.push(`declares columns the query does not return: ${unknown.join(', ')}`);
  return { values, problems };
}
