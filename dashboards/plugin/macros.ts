/**
 * How Grafana and the ClickHouse data source plugin (`grafana-clickhouse-datasource`, v4) turn a
 * panel's raw SQL into the SQL ClickHouse runs, reimplemented so the dashboards' queries can be run
 * against chDB exactly as Grafana would send them. Three passes, in the plugin's order:
 *
 * 1. `$__conditionalAll(condition, $var)` — front end, `Datasource.applyConditionalAll` in the plugin's
 *    `src/data/CHDatasource.ts`: from the last occurrence backwards, the macro becomes `1=1` when the
 *    variable's current value is `''` or `$__all`, else `condition`.
 * 2. Template variables — front end, `getTemplateSrv().replace(sql, scopedVars, this.format)` in the same
 *    file: `$var`, `${var}`, `${var:format}` and `[[var]]`. The plugin's own `format` joins an array as
 *    `'a','b'` (no escaping) and passes a single value through raw; an explicit `:singlequote` uses
 *    Grafana's format registry (each value quoted, `'` escaped as `\'`, joined with `,`); `:raw` and
 *    `:csv` join with `,`. A variable set to All stands for every option. Unknown names stay as written.
 * 3. Macros — back end, `pkg/macros/macros.go` through grafana/sqlds: `$__timeFilter(c)` →
 *    `c >= toDateTime(from) AND c <= toDateTime(to)` (Unix seconds), `$__timeFilter_ms(c)` with
 *    `fromUnixTimestamp64Milli(ms)`, `$__dateFilter(c)` with `toDate('YYYY-MM-DD')`, `$__fromTime`,
 *    `$__toTime`, `$__fromTime_ms`, `$__toTime_ms`, `$__timeInterval(c)` →
 *    `toStartOfInterval(toDateTime(c), INTERVAL n second)` with n = max(interval seconds, 1),
 *    `$__timeInterval_ms(c)`, and `$__interval_s`. Arguments are the text up to the first `)`, split on
 *    commas and trimmed (sqlds), so an argument cannot hold parentheses.
 */

/** The dashboard's time range and the panel's interval, as Grafana sends them with a query. */
export interface QueryContext {
  /** Range start, epoch ms. */
  readonly fromMs: number;
  /** Range end, epoch ms. */
  readonly toMs: number;
  /** The panel's interval (`$__interval`), ms. */
  readonly intervalMs: number;
  /** Template variables by name. */
  readonly variables: Readonly<Record<string, TemplateVariable>>;
}

/** A template variable's current selection and its options (what "All" stands for). */
export interface TemplateVariable {
  /** The selection: one value, several (multi-value), or `'$__all'`. */
  readonly current: string | readonly string[];
  /** Every option the variable offers (without All). */
  readonly options?: readonly string[];
}

const ALL = '$__all';

const isAll = (v: TemplateVariable) => v.current === ALL || (Array.isArray(v.current) && v.current.length === 1 && v.current[0] === ALL);

/** Arguments of the macro whose `(` is at `open`, split on top-level commas; `end` is the index after `)`. */
function argsAt(sql: string, open: number): { args: string[]; end: number } | undefined {
  let depth = 0;
  let last = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 1) {
      args.push(sql.slice(last, i));
      last = i + 1;
    }
    if (depth === 0) {
      args.push(sql.slice(last, i));
      return { args, end: i + 1 };
    }
  }
  return undefined;
}

/**
 * Pass 1: `$__conditionalAll(condition, $var)` → `1=1` when `$var` is All or empty, else `condition`.
 * Where the plugin leaves a call with the wrong number of arguments unexpanded (ClickHouse then fails on
 * it), this throws, naming the offset.
 */
export function applyConditionalAll(sql: string, variables: QueryContext['variables']): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = argsAt(sql, at + macro.length - 1);
    if (parsed?.args.length !== 2) throw new Error(`$__conditionalAll needs 2 arguments (condition, $variable) at offset ${at}`);
    const [condition, variable] = parsed.args as [string, string];
    const name = /\$\{(\w+)\}|\$(\w+)/.exec(variable.trim());
    let phrase = condition;
    const v = name ? variables[name[1] ?? name[2]!] : undefined;
    // The plugin compares `current.value.toString()` with '' and '$__all': an empty selection counts as All.
    if (v && (isAll(v) || String(v.current) === '')) phrase = '1=1';
    sql = sql.slice(0, at) + phrase + sql.slice(parsed.end);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

const singleQuote = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

function formatValue(value: string | readonly string[], format: string | undefined, name: string): string {
  const list = typeof value === 'string' ? undefined : value;
  switch (format) {
    case undefined: // the plugin's own format function
      return list ? `'${list.join("','")}'` : (value as string);
    case 'singlequote':
      return list ? list.map(singleQuote).join(',') : singleQuote(value as string);
    case 'raw':
    case 'csv':
      return list ? list.join(',') : (value as string);
    default:
      throw new Error(`variable ${name}: format "${format}" is not supported here (use none, singlequote, raw or csv)`);
  }
}

/** Pass 2: template variables, formatted as the plugin asks Grafana to. */
export function interpolateVariables(sql: string, variables: QueryContext['variables']): string {
  const pattern = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;
  return sql.replace(pattern, (match, bare?: string, bracket?: string, bracketFormat?: string, braced?: string, bracedFormat?: string) => {
    const name = bare ?? bracket ?? braced!;
    const v = variables[name];
    if (!v) return match;
    const value = isAll(v) ? (v.options ?? []) : v.current;
    return formatValue(value, bracketFormat ?? bracedFormat, name);
  });
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const toDate = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;

type MacroFn = (args: string[], c: QueryContext) => string;

const one =
  (name: string, f: (col: string, c: QueryContext) => string): MacroFn =>
  (args, c) => {
    if (args.length !== 1 || args[0] === '') throw new Error(`$__${name} expects 1 argument, received ${args.length}`);
    return f(args[0]!, c);
  };

/** The back-end macros of `pkg/macros/macros.go`, by name. */
const MACROS: Readonly<Record<string, MacroFn>> = {
  fromTime: (_, c) => `toDateTime(${seconds(c.fromMs)})`,
  toTime: (_, c) => `toDateTime(${seconds(c.toMs)})`,
  fromTime_ms: (_, c) => `fromUnixTimestamp64Milli(${c.fromMs})`,
  toTime_ms: (_, c) => `fromUnixTimestamp64Milli(${c.toMs})`,
  timeFilter: one('timeFilter', (col, c) => `${col} >= toDateTime(${seconds(c.fromMs)}) AND ${col} <= toDateTime(${seconds(c.toMs)})`),
  timeFilter_ms: one(
    'timeFilter_ms',
    (col, c) => `${col} >= fromUnixTimestamp64Milli(${c.fromMs}) AND ${col} <= fromUnixTimestamp64Milli(${c.toMs})`,
  ),
  dateFilter: one('dateFilter', (col, c) => `${col} >= ${toDate(c.fromMs)} AND ${col} <= ${toDate(c.toMs)}`),
  timeInterval: one(
    'timeInterval',
    (col, c) => `toStartOfInterval(toDateTime(${col}), INTERVAL ${Math.max(seconds(c.intervalMs), 1)} second)`,
  ),
  timeInterval_ms: one(
    'timeInterval_ms',
    (col, c) => `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`,
  ),
  interval_s: (_, c) => String(Math.max(seconds(c.intervalMs), 1)),
};

/** Pass 3: the back-end macros. A `$__name` that is not one of them is an error, as it would fail in ClickHouse. */
export function applyMacros(sql: string, c: QueryContext): string {
  return sql.replace(/\$__(\w+)(?:\(([^)]*)\))?/g, (match, name: string, args: string | undefined) => {
    const fn = MACROS[name];
    if (!fn) throw new Error(`unknown ClickHouse plugin macro ${match}`);
    return fn(args === undefined ? [] : args.split(',').map((a) => a.trim()), c);
  });
}

/** The SQL ClickHouse receives for `rawSql` under `c`: the three passes in the plugin's order. */
export function expandQuery(rawSql: string, c: QueryContext): string {
  return applyMacros(interpolateVariables(applyConditionalAll(rawSql, c.variables), c.variables), c);
}
