/**
 * Checks of the dashboards' PromQL and of Sluice's `/metrics`: expressions are parsed by promtool (Debian's
 * `prometheus` package) as recording rules, the metric names they select are read with Prometheus' own
 * Lezer grammar (`@prometheus-io/lezer-promql`) and must be ones a scrape exposes, and the scrape itself
 * must pass `promtool check metrics`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import { stringify } from 'yaml';

const run = promisify(execFile);

/** Values for Grafana's variables in PromQL, as the Prometheus data source substitutes them. */
export interface PromVariables {
  /** Single-value variables, substituted raw. */
  readonly single?: Readonly<Record<string, string>>;
  /** Multi-value variables: Grafana writes a regex alternation `(a|b)` with regex characters escaped. */
  readonly multi?: Readonly<Record<string, readonly string[]>>;
}

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&');

/** Grafana's built-in interval variables for a one-hour range at a 15 s scrape interval. */
const HOUR_BUILTINS: Readonly<Record<string, string>> = { __rate_interval: '1m', __interval: '1m', __range: '1h' };

/**
 * `expr` with Grafana's variables substituted: `$__rate_interval`, `$__interval` and `$__range` (by default
 * 1m, 1m and 1h; the values of a run's time range from `check/values.ts`), then the dashboard's own (`$name`
 * and `${name}`). An unknown `$name` is left, so promtool reports it.
 */
export function expandPromQL(expr: string, vars: PromVariables, builtins: Readonly<Record<string, string>> = HOUR_BUILTINS): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    if (builtins[name]) return builtins[name]!;
    const one = vars.single?.[name];
    if (one !== undefined) return one;
    const many = vars.multi?.[name];
    return many ? (many.length === 1 ? escapeRegex(many[0]!) : `(${many.map(escapeRegex).join('|')})`) : match;
  });
}

/**
 * The PromQL inside a Prometheus variable query: `label_values(selector, label)` and
 * `query_result(expr)` are Grafana's, not PromQL; their selector or expression is. `label_values(label)`
 * alone selects no metric (undefined).
 */
export function variableQueryPromQL(query: string): string | undefined {
  const m = /^\s*(label_values|query_result)\((.*)\)\s*$/s.exec(query);
  if (!m) return query;
  if (m[1] === 'query_result') return m[2]!;
  const args = m[2]!;
  const comma = args.lastIndexOf(',');
  return comma === -1 ? undefined : args.slice(0, comma).trim();
}

/** Metric names the expression selects (its vector selectors), read with Prometheus' PromQL grammar. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      if (id) names.add(expr.slice(id.from, id.to));
    },
  });
  return [...names];
}

/** Names a scrape exposes (from its `# TYPE` lines; histograms and summaries with their series suffixes). */
export function exposedMetricNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const m of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/** Throws, saying how to install it, when `promtool` is not on the PATH. */
export async function requirePromtool(): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', ['--version']);
    return (stdout || stderr).split('\n')[0]!;
  } catch {
    throw new Error(
      "promtool not found on the PATH: install Debian's prometheus package (apt-get install -y prometheus); .ci/run does so when it is missing",
    );
  }
}

/** Parses each expression with `promtool check rules` (as recording rules); returns promtool's complaints, empty when all parse. */
export async function promtoolCheckExpressions(exprs: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-promql-'));
  try {
    const file = join(dir, 'dashboards.rules.yml');
    await writeFile(
      file,
      stringify({ groups: [{ name: 'dashboards', rules: exprs.map((expr, i) => ({ record: `dashboards:expr_${i}`, expr })) }] }),
    );
    try {
      await run('promtool', ['check', 'rules', file]);
      return [];
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return `${e.stdout ?? ''}\n${e.stderr ?? ''}`
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^Checking |^SUCCESS|^FAILED:?$/.test(l));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `promtool check metrics` on a scrape; returns its complaints, empty when it passes. */
export function promtoolCheckMetrics(scrape: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      resolve(code === 0 ? [] : [...out.split('\n').filter((l) => l.trim()), `promtool check metrics exited with ${code}`]),
    );
    p.stdin.end(scrape);
  });
}
