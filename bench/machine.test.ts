import { describe, expect, it } from 'vitest';
import { machineTable, otherProcessCpuMs, percentile, procStatCpuMs, ratio } from './machine.js';

describe('procStatCpuMs', () => {
  it('adds utime and stime (fields 14 and 15) in 10 ms ticks', () => {
    const stat = '4242 (redis-server) S 1 4242 4242 0 -1 4194560 1200 0 0 0 731 269 0 0 20 0 5 0 100 0 0';
    expect(procStatCpuMs(stat)).toBe((731 + 269) * 10);
  });

  it('counts fields after the last parenthesis, so a command name with spaces and parentheses does not shift them', () => {
    const stat = '77 (node (bench) x y) R 1 77 77 0 -1 0 0 0 0 0 5 7 0 0 20 0 1 0 100 0 0';
    expect(procStatCpuMs(stat)).toBe(120);
    expect(procStatCpuMs(stat, 1)).toBe(12);
  });

  it('refuses a line that is not a stat line rather than returning NaN', () => {
    expect(() => procStatCpuMs('no such thing')).toThrow(/stat/);
  });
});

describe('otherProcessCpuMs', () => {
  it('is undefined without a pid or for a process that does not exist', () => {
    expect(otherProcessCpuMs(undefined)).toBeUndefined();
    expect(otherProcessCpuMs(2 ** 30)).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('reads a live process (this one) as a number of ms', () => {
    const ms = otherProcessCpuMs(process.pid);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(ms! / 10)).toBe(true);
  });
});

describe('ratio', () => {
  it('divides by the baseline and rounds', () => {
    expect(ratio(24_292, 31_518)).toBe(0.771);
    expect(ratio(506, 440, 2)).toBe(1.15);
  });

  it('is null, never NaN or Infinity, when the baseline is missing or not positive', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(1, undefined)).toBeNull();
    expect(ratio(undefined, 1)).toBeNull();
    expect(ratio(Number.NaN, 1)).toBeNull();
    expect(JSON.stringify({ r: ratio(5, 0) })).toBe('{"r":null}');
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('machineTable', () => {
  it('lays the machine out as the results documents open with it', () => {
    const m = { cpu: 'AMD EPYC', cores: 2, os: 'linux 6', node: 'v20.20.2', loadAverage: [1.5, 2, 0.25], date: '2026-12-06T00:00:00.000Z' };
    expect(machineTable(m).split('\n')).toEqual([
      '| machine | |',
      '| --- | --- |',
      '| CPU | AMD EPYC |',
      '| cores | 2 |',
      '| Node.js | v20.20.2 |',
      '| date | 2026-12-06T00:00:00.000Z |',
      '| load average at start | 1.5, 2, 0.25 |',
    ]);
  });
});
