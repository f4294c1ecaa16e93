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
  // Fields after the command name (which may hold spaces, inside parentheses): state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
