import { cpus, loadavg, platform, release } from 'node:os';

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
