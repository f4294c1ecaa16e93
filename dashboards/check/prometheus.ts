/**
 * A real Prometheus (Debian's `prometheus` package, 2.42) for the dashboards check: started on a free loopback
 * port with a generated configuration scraping one Sluice's `/metrics`, its storage in a temporary folder, stopped
 * (and the folder removed) by {@link PrometheusServer.stop} or when this process exits. Its HTTP API answers the
 * panels' queries ({@link PrometheusServer.query}, {@link PrometheusServer.queryRange}).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** One series of a query's answer: its labels and its samples (value as Prometheus writes it: `"NaN"`, `"+Inf"`…). */
export interface PromSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [seconds: number, value: string])[];
}

/** What the check needs of Prometheus' HTTP API (a real server, or a stand-in in the checker's own unit test). */
export interface PromApi {
  /** `/api/v1/query` at `timeS` (a vector; a scalar answer becomes one series without labels). */
  query(expr: string, timeS: number): Promise<PromSeries[]>;
  /** `/api/v1/query_range` from `startS` to `endS` every `stepS`. */
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<PromSeries[]>;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` of the Sluice to scrape. */
  readonly target: string;
  /** Scrape interval, seconds (1 to 5 keeps a short run readable). */
  readonly scrapeIntervalS: number;
  /** A bearer token for `/metrics` (a platform key), when the Sluice is not open. */
  readonly bearer?: string;
  /** Job label (default `sluice`). */
  readonly job?: string;
  /** Longest wait for Prometheus to be ready, ms (default 30 000). */
  readonly readyTimeoutMs?: number;
}

/** A running Prometheus. */
export interface PrometheusServer extends PromApi {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly version: string;
  /** Waits until the target has been scraped successfully (`up == 1`) at least `scrapes` more times. */
  waitForScrapes(scrapes: number, timeoutMs?: number): Promise<void>;
  /** Stops Prometheus and removes its storage. */
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

type ApiAnswer =
  | { status: 'success'; data: { resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: unknown } }
  | { status: 'error'; errorType: string; error: string };

/** The series of an API answer, instant or range, in one shape. */
export function seriesOf(answer: ApiAnswer): PromSeries[] {
  if (answer.status !== 'success') throw new Error(`${answer.errorType}: ${answer.error}`);
  const { resultType, result } = answer.data;
  if (resultType === 'scalar') {
    const [t, v] = result as [number, string];
    return [{ metric: {}, values: [[t, v]] }];
  }
  if (resultType === 'vector')
    return (result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ metric: s.metric, values: [s.value] }));
  if (resultType === 'matrix') return result as PromSeries[];
  throw new Error(`unexpected result type ${resultType}`);
}

/** A client of Prometheus' HTTP API at `url` (POST, as Grafana's data source is provisioned). */
export function promApi(url: string): PromApi {
  const call = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    const body = (await res.json().catch(() => ({ status: 'error', errorType: `HTTP ${res.status}`, error: 'not JSON' }))) as ApiAnswer;
    return seriesOf(body);
  };
  return {
    query: (expr, timeS) => call('/api/v1/query', { query: expr, time: String(timeS) }),
    queryRange: (expr, startS, endS, stepS) =>
      call('/api/v1/query_range', { query: expr, start: String(startS), end: String(endS), step: String(stepS) }),
  };
}

async function version(): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('prometheus', ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', () =>
      reject(
        new Error(
          "prometheus not found on the PATH: install Debian's prometheus package (apt-get install -y prometheus); .ci/run does so when it is missing",
        ),
      ),
    );
    p.on('close', () => resolve(out.split('\n')[0]!.trim()));
  });
}

/** Starts Prometheus scraping `o.target`; throws (saying how to install it) when the binary is missing or it does not become ready. */
export async function startPrometheus(o: PrometheusOptions): Promise<PrometheusServer> {
  const v = await version();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  const port = await freePort();
  const job = o.job ?? 'sluice';
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: {
        scrape_interval: `${o.scrapeIntervalS}s`,
        scrape_timeout: `${o.scrapeIntervalS}s`,
        evaluation_interval: `${o.scrapeIntervalS}s`,
      },
      scrape_configs: [
        {
          job_name: job,
          metrics_path: '/metrics',
          ...(o.bearer ? { authorization: { type: 'Bearer', credentials: o.bearer } } : {}),
          static_configs: [{ targets: [o.target] }],
        },
      ],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const kill = () => {
    if (exited === undefined) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const stop = async () => {
    process.removeListener('exit', kill);
    if (exited === undefined) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`prometheus exited with ${exited} before it was ready: ${log.trim().slice(-1500)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url} within ${o.readyTimeoutMs ?? 30_000} ms: ${log.trim().slice(-1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const api = promApi(url);
  const scrapes = async () => {
    const s = await api.query(`count_over_time(up{job="${job}"}[1h]) and on() (up{job="${job}"} == 1)`, Date.now() / 1000);
    return Number(s[0]?.values[0]?.[1] ?? 0);
  };
  return {
    url,
    version: v,
    ...api,
    async waitForScrapes(n, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      const target = (await scrapes()) + n;
      while ((await scrapes()) < target) {
        if (Date.now() > end) {
          const up = await api.query(`up{job="${job}"}`, Date.now() / 1000);
          throw new Error(
            `prometheus did not scrape ${o.target} successfully ${n} times within ${timeoutMs} ms (up = ${up[0]?.values[0]?.[1] ?? 'absent'}): ${log.trim().slice(-800)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop,
  };
}
