import { cpus, loadavg, platform, release } from 'node:os';
import { readFileSync } from 'node:fs';

/** The machine a benchmark ran on, for its results document. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  os: string;
  node: string;
  /** Load average (1, 5, 15 min) when the run started: the machines are shared. */
  loadAverage: number[];
  date: string;
}

/** Reads the machine facts once. */
export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** The machine as the Markdown table a results document opens with. */
export function machineTable(m: MachineInfo): string {
  return [
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${m.cpu} |`,
    `| cores | ${m.cores} |`,
    `| Node.js | ${m.node} |`,
    `| date | ${m.date} |`,
    `| load average at start | ${m.loadAverage.join(', ')} |`,
  ].join('\n');
}

/** Percentile (0–100) of a numeric sample by nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** CPU time this process has used (all its threads: JavaScript, GC, ClickHouse in-process), ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * User + system CPU time in a `/proc/<pid>/stat` line, ms. The command name (field 2) may hold spaces
 * and parentheses, so fields are counted from the last `)`: state is field 3, utime 14, stime 15, both
 * in clock ticks (`msPerTick`: 10 ms at Linux's usual USER_HZ of 100).
 */
export function procStatCpuMs(stat: string, msPerTick = 10): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return ticks * msPerTick;
}

/**
 * CPU time another process has used, ms, from `/proc/<pid>/stat` (utime + stime, in clock ticks of
 * 10 ms); undefined where there is no such file (not Linux, or the process is gone).
 */
export function otherProcessCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return procStatCpuMs(stat);
}

/**
 * `value / baseline` rounded to `digits` decimals: how a benchmark states a figure against the
 * baseline measured beside it in the same run (machines differ; ratios travel). Null when either is
 * missing or the baseline is not positive, so a JSON line never carries NaN or Infinity.
 */
export function ratio(value: number | undefined, baseline: number | undefined, digits = 3): number | null {
  if (value === undefined || baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0) return null;
  const k = 10 ** digits;
  return Math.round((value / baseline) * k) / k;
}

/** A benchmark's target and its verdict (targets are ratios to a baseline of the same run, or say why not). */
export interface Verdict {
  /** Stable key, for the JSON line. */
  readonly key: string;
  /** The target as the results document states it. */
  readonly target: string;
  readonly met: boolean;
  /** The measured figure the verdict rests on. */
  readonly measured: string;
}

/** A verdict as a line of a results document. */
export const verdictLine = (v: Verdict): string => `- Target "${v.target}": ${v.met ? 'met' : '**not met**'} (${v.measured}).`;
