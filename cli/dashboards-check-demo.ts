/**
 * `sluice dashboards check --demo`: the dashboards against `npm start` as a first-time user sees them (issue 20).
 * `sluice demo` runs as `npm start` runs it (a child process, default settings, its own chDB folder, free ports,
 * the key of its read-only ClickHouse endpoint set here), Debian's Prometheus scrapes it as
 * `dashboards/provisioning/prometheus-demo.yml` says, and after N minutes every panel is evaluated as a user opening
 * its dashboard sees it — over the dashboard's default time range, the demo's history (15 to 30 minutes played at
 * start) included — and as Grafana would run it: Prometheus panels through Prometheus' HTTP API with the data source's substitutions
 * (its `timeInterval` from `dashboards/provisioning/datasources/sluice.yaml`), ClickHouse panels through the demo's
 * ClickHouse HTTP endpoint with `@clickhouse/client`, the way Grafana's plugin reaches it; each against the range
 * its panel declares (`dashboards/check/values.ts`, the checker `sluice dashboards check` uses on a simulated run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { parse } from 'yaml';
import { failedRuns, runClickHouseQueries } from '../dashboards/check/clickhouse.js';
import { type PrometheusServer, startPrometheus } from '../dashboards/check/prometheus.js';
import { exposedMetricNames, promtoolCheckMetrics, requirePromtool } from '../dashboards/check/promql.js';
import { promExpressions, promqlProblems } from '../dashboards/check/run.js';
import {
  type CheckContext,
  checkClickHousePanels,
  checkPrometheusPanels,
  dashboardVariables,
  problemLines,
  type CheckSummary,
  type QueryCheck,
} from '../dashboards/check/values.js';
import { buildDashboards, type DashboardFile } from '../dashboards/index.js';
import { freePort, sleep } from '../services/ports.js';

const provisioning = (file: string) => fileURLToPath(new URL(`../dashboards/provisioning/${file}`, import.meta.url));

/** A duration as Prometheus and Grafana write it (`5s`, `1m`), in ms. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/**
 * What the provisioned files say a user's setup does: Prometheus' scrape interval (`prometheus-demo.yml`) and the
 * Prometheus data source's `timeInterval` (`datasources/sluice.yaml`), the floor of Grafana's `$__interval`.
 */
export function provisionedIntervals(): { scrapeIntervalMs: number; timeIntervalMs: number } {
  const prom = parse(readFileSync(provisioning('prometheus-demo.yml'), 'utf8')) as { global: { scrape_interval: string } };
  const ds = parse(readFileSync(provisioning('datasources/sluice.yaml'), 'utf8')) as {
    datasources: { type: string; jsonData?: { timeInterval?: string } }[];
  };
  const timeInterval = ds.datasources.find((d) => d.type === 'prometheus')?.jsonData?.timeInterval;
  if (!timeInterval) throw new Error('datasources/sluice.yaml: the Prometheus data source has no timeInterval');
  return { scrapeIntervalMs: durationMs(prom.global.scrape_interval), timeIntervalMs: durationMs(timeInterval) };
}

/** `bin/sluice.mjs` of this checkout or package (cli/ in a checkout, dist/cli/ once compiled). */
function sluiceBin(): string {
  for (const rel of ['../bin/sluice.mjs', '../../bin/sluice.mjs']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('bin/sluice.mjs not found beside cli/');
}

/** Options of {@link checkDemoDashboards}. */
export interface DemoCheckOptions {
  /** Minutes the demo runs before the panels are evaluated (default 5). */
  readonly minutes?: number;
  /** `sluice demo --rate` (default: the demo's own, as `npm start`). */
  readonly rate?: number;
  /** Extra environment of the demo (the tests compress its script with `SIM_CTI_FAILURE_AT_MS` and the like). */
  readonly env?: Readonly<Record<string, string>>;
  /** Dashboards to check (default: every one, freshly built). */
  readonly dashboards?: readonly DashboardFile[];
  /** Seconds between progress lines (default 30). */
  readonly progressEveryS?: number;
  /**
   * Evaluate again every `everyS` while `again(problems)` holds, until `untilMinutes` after the start: "no panel empty
   * within N minutes", without waiting N minutes when they fill sooner (the tests). Default: evaluated once, at `minutes`.
   */
  readonly retry?: { readonly untilMinutes: number; readonly everyS: number; readonly again: (problems: readonly string[]) => boolean };
  /**
   * Called once the panels are evaluated, while the demo still runs (the tests look at it further in the same run);
   * the demo is stopped after it settles, whether it resolved or threw (a throw fails the check).
   */
  readonly whileRunning?: (demo: RunningDemo) => Promise<void>;
}

/** The demo being checked, as {@link DemoCheckOptions.whileRunning} sees it. */
export interface RunningDemo {
  /** Its API, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its read-only ClickHouse HTTP endpoint for Grafana, with the user and key its banner printed. */
  readonly clickhouse: { readonly url: string; readonly user: string; readonly key: string; readonly database: string };
  /** What it printed so far (stdout and stderr), and after it stopped, everything. */
  output(): string;
}

/** What the check found on the demo. */
export interface DemoCheckReport extends CheckSummary {
  readonly run: { minutes: number; prometheus: string; tenant: string; skillGroups: string[]; exitCode: number | null };
}

/** The demo as a child process: its URLs, what it printed, and its stop (SIGINT, as Ctrl-C under `npm start`). */
interface DemoProcess {
  readonly url: string;
  readonly clickhouse: { url: string; user: string; key: string; database: string };
  output(): string;
  /** SIGINT, then waits for the exit (SIGKILL after `graceMs`); the exit code, null when killed. */
  stop(graceMs?: number): Promise<number | null>;
}

async function startDemo(o: DemoCheckOptions, dir: string, log: (line: string) => void): Promise<DemoProcess> {
  const [port, chPort] = [await freePort(), await freePort()];
  const key = randomBytes(18).toString('base64url');
  const args = [sluiceBin(), 'demo', '--port', String(port), ...(o.rate !== undefined ? ['--rate', String(o.rate)] : [])];
  log(`starting sluice demo${o.rate !== undefined ? ` --rate ${o.rate}` : ''} on port ${port} (chDB in ${dir})…`);
  const child: ChildProcess = spawn(process.execPath, args, {
    env: {
      ...process.env,
      ...o.env,
      CHDB_PATH: join(dir, 'chdb'),
      SLUICE_DEMO_CLICKHOUSE_PORT: String(chPort),
      SLUICE_DEMO_CLICKHOUSE_KEY: key,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      exitCode = code;
      r(code);
    }),
  );
  const kill = () => {
    if (exitCode === undefined) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const stop = async (graceMs = 15_000) => {
    process.removeListener('exit', kill);
    if (exitCode !== undefined) return exitCode;
    child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  const banner = /ClickHouse for Grafana {2}(\S+) {2}\(read-only; user (\S+), key (\S+); database (\S+)\)/;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`sluice demo exited with ${exitCode} before it was ready:\n${out.slice(-3000)}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    const m = banner.exec(out);
    if (ready && m) {
      if (m[3] !== key) {
        await stop();
        throw new Error('sluice demo serves its ClickHouse with another key than SLUICE_DEMO_CLICKHOUSE_KEY');
      }
      return {
        url: `http://127.0.0.1:${port}`,
        clickhouse: { url: m[1]!, user: m[2]!, key, database: m[4]! },
        output: () => out,
        stop,
      };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sluice demo not ready (GET /readyz and its banner's ClickHouse line) within 60 s:\n${out.slice(-3000)}`);
    }
    await sleep(250);
  }
}

/** A dashboard's default time range (`time.from`, `now-6h`; it ends now), ms. */
export function defaultRangeMs(d: { time?: { from?: string; to?: string } }): number {
  const m = /^now-(\d+)([smhdw])$/.exec(d.time?.from ?? '');
  if (!m || (d.time?.to ?? 'now') !== 'now')
    throw new Error(`dashboard time range ${JSON.stringify(d.time)}: expected now-N(s|m|h|d|w) to now`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
}

const mmss = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

/** One progress line: what the demo did so far, read through Prometheus as a panel would. */
async function progress(prometheus: PrometheusServer, tenant: string): Promise<string> {
  const now = Date.now() / 1000;
  const one = async (expr: string) => {
    const v = (await prometheus.query(expr, now).catch(() => []))[0]?.values[0]?.[1];
    return v === undefined ? '–' : String(Math.round(Number(v)));
  };
  const [up, routed, level, opens, warnings] = await Promise.all([
    one('sum(up{job="sluice"})'),
    one(`sum(sluice_route_decisions_total{tenant="${tenant}"})`),
    one(`max(sluice_level{tenant="${tenant}", skill_group=""})`),
    one('sum(sluice_breaker_transitions_total{to="open"})'),
    one(`sum(sluice_sla_warnings_total{tenant="${tenant}"})`),
  ]);
  return `up ${up}, ${routed} calls routed, level L${level}, breaker openings ${opens}, SLA warnings and breaches ${warnings}`;
}

/** The demo's tenant: its first simulated tenant (`SIM_TENANTS`, default `demo`), as the demo's banner links it. */
const demoTenant = (env: Readonly<Record<string, string | undefined>>) => (env.SIM_TENANTS ?? 'demo').split(',')[0]!.trim() || 'demo';

/**
 * Runs `sluice demo` for `o.minutes`, scraped by a real Prometheus, then evaluates every panel over its dashboard's
 * default time range (see the module comment); stops the demo (SIGINT: it must exit 0) and Prometheus, and removes their folders.
 */
export async function checkDemoDashboards(log: (line: string) => void = () => {}, o: DemoCheckOptions = {}): Promise<DemoCheckReport> {
  const minutes = o.minutes ?? 5;
  const dashboards = o.dashboards ?? buildDashboards();
  const { scrapeIntervalMs, timeIntervalMs } = provisionedIntervals();
  log(`using ${await requirePromtool()}`);
  const tenant = demoTenant({ ...process.env, ...o.env });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-check-'));
  let demo: DemoProcess | undefined;
  let prometheus: PrometheusServer | undefined;
  const ch = { close: async () => {} } as { close(): Promise<void> };
  try {
    demo = await startDemo(o, dir, log);
    const startedMs = Date.now();
    prometheus = await startPrometheus({ target: new URL(demo.url).host, scrapeIntervalS: scrapeIntervalMs / 1000 });
    log(`${prometheus.version} on ${prometheus.url}, scraping ${demo.url} every ${scrapeIntervalMs / 1000} s (prometheus-demo.yml)`);
    const endAt = startedMs + minutes * 60_000;
    const every = (o.progressEveryS ?? 30) * 1000;
    for (let next = startedMs + every; Date.now() < endAt; next += every) {
      await sleep(Math.max(0, Math.min(next, endAt) - Date.now()));
      log(`demo ${mmss(Date.now() - startedMs)} of ${mmss(minutes * 60_000)}: ${await progress(prometheus, tenant)}`);
    }
    // The demo's ClickHouse as Grafana's plugin reaches it: over HTTP, with the user and key its banner printed.
    const client = createClient({
      url: demo.clickhouse.url,
      username: demo.clickhouse.user,
      password: demo.clickhouse.key,
      database: demo.clickhouse.database,
      log: { level: ClickHouseLogLevel.OFF },
    });
    ch.close = () => client.close();
    const chdb = { client, database: demo.clickhouse.database };
    const running = demo;
    const live = prometheus;

    /** Every check, on the demo as it is now. */
    const evaluate = async () => {
      // The demo's last state scraped, as a user's Grafana would find it.
      await live.waitForScrapes(1, scrapeIntervalMs * 3 + 10_000);
      const toMs = Date.now();
      const problems: string[] = [];
      const scrape = await (await fetch(`${running.url}/metrics`)).text();
      problems.push(...(await promtoolCheckMetrics(scrape)).map((l) => `/metrics: ${l}`));
      const skillGroups = (await live.query(`group by (skill_group) (sluice_level{tenant="${tenant}", skill_group!=""})`, toMs / 1000))
        .map((s) => s.metric.skill_group ?? '')
        .sort();
      if (skillGroups.length === 0) throw new Error(`the demo exposes no skill group of tenant ${tenant} (sluice_level)`);
      // The one skill group a query also runs with alone: the busiest (its rare events — callbacks… — come first).
      const offered = new Map(
        (await live.query(`sum by (skill_group) (sluice_queue_offered_total{tenant="${tenant}"})`, toMs / 1000)).map((x) => [
          x.metric.skill_group ?? '',
          Number(x.values[0]?.[1] ?? 0),
        ]),
      );
      const busiestFirst = [...skillGroups].sort((a, b) => (offered.get(b) ?? 0) - (offered.get(a) ?? 0) || a.localeCompare(b));
      const exprs = promExpressions(dashboards);
      problems.push(...(await promqlProblems(exprs, scrape, { single: { tenant, job: '.+' }, multi: { skill_group: skillGroups } })));
      const variables = await dashboardVariables(live, dashboards, tenant, Math.floor(toMs / 1000));
      problems.push(...variables.problems);
      const sl = variables.values['sluice-queues'];
      log(
        `evaluating every panel over its dashboard's default time range after ${mmss(toMs - startedMs)}, tenant ${tenant}, skill groups ${skillGroups.join(', ')}, sl_variant=${sl?.sl_variant ?? '?'}, sl_threshold=${sl?.sl_threshold ?? '?'}`,
      );
      // Each dashboard as a user opens it: over its own default time range (`now-6h`…), the demo's history included.
      const panels: QueryCheck[] = [];
      for (const d of dashboards) {
        const fromMs = toMs - defaultRangeMs(d.dashboard);
        const context: CheckContext = {
          tenant,
          skillGroups: busiestFirst,
          scrapeIntervalMs: timeIntervalMs,
          variables: variables.values,
          fromMs,
          toMs,
        };
        const runs = await runClickHouseQueries(chdb, [d], { tenant, skillGroups: busiestFirst, fromMs, toMs });
        problems.push(...failedRuns(runs).filter((l) => / variable /.test(l)));
        panels.push(...(await checkPrometheusPanels(live, [d], context)), ...(await checkClickHousePanels(chdb, [d], context)));
      }
      problems.push(...problemLines(panels));
      return { problems, panels, skillGroups, minutes: (toMs - startedMs) / 60_000, exprs: exprs.length, scrape };
    };

    let result = await evaluate();
    const until = startedMs + (o.retry?.untilMinutes ?? 0) * 60_000;
    while (o.retry?.again(result.problems) && Date.now() + o.retry.everyS * 1000 < until) {
      log(`${result.problems.length} problems after ${mmss(Date.now() - startedMs)}: evaluating again in ${o.retry.everyS} s`);
      await sleep(o.retry.everyS * 1000);
      log(`demo ${mmss(Date.now() - startedMs)}: ${await progress(live, tenant)}`);
      result = await evaluate();
    }
    const { problems, panels } = result;
    await o.whileRunning?.({ url: running.url, clickhouse: running.clickhouse, output: () => running.output() });
    await ch.close();
    ch.close = async () => {};
    const exitCode = await demo.stop();
    demo = undefined;
    if (exitCode !== 0) problems.push(`sluice demo exited with ${exitCode} on SIGINT (expected 0)`);
    return {
      problems,
      panels,
      counted: {
        dashboards: dashboards.length,
        promql: result.exprs,
        exposedMetrics: exposedMetricNames(result.scrape).size,
        prometheusQueries: panels.filter((p) => p.kind === 'prometheus').length,
        clickhousePanelQueries: panels.filter((p) => p.kind === 'clickhouse').length,
      },
      run: {
        minutes: Math.round(result.minutes * 10) / 10,
        prometheus: prometheus.version,
        tenant,
        skillGroups: result.skillGroups,
        exitCode,
      },
    };
  } catch (err) {
    const tail = demo?.output().slice(-2000);
    throw tail ? new Error(`${(err as Error).message}\n--- sluice demo's last output:\n${tail}`) : err;
  } finally {
    await ch.close().catch(() => {});
    await demo?.stop();
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
