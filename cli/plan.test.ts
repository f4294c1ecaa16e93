import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { PlanUsageError, runPlan } from '../planner/plan.js';
import { planCommand, USAGE_EXIT_CODE } from './plan.js';

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs `plan` with argument array `args` (no program name), capturing output and the exit code. */
async function run(args: readonly string[], files: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const command = planCommand({
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  });
  command.exitOverride();
  try {
    await command.parseAsync([...args], { from: 'user' });
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    if (err instanceof CommanderError) return { stdout, stderr, exitCode: err.exitCode };
    throw err;
  }
}

const BASE = ['--rate', '200', '--aht', '180', '--target-sl', '0.8', '--target-time', '20'];

describe('runPlan', () => {
  it('returns exactly the documented keys for Erlang C', () => {
    const result = runPlan({ rate: 200, aht: 180, targetSl: 0.8, targetTime: 20, shrinkage: 0.3, maxOccupancy: 0.85 });
    expect(Object.keys(result).sort()).toEqual(['agents', 'asa', 'occupancy', 'probabilityOfWait', 'scheduledAgents', 'serviceLevel']);
    expect(result).toMatchObject({ agents: 14, scheduledAgents: 20 });
  });

  it('adds probabilityOfAbandon exactly when a patience is given (Erlang A)', () => {
    const result = runPlan({ rate: 240, aht: 180, targetSl: 0.8, targetTime: 20, patience: 60 });
    expect(result.probabilityOfAbandon).toBeGreaterThan(0);
    expect(result.agents).toBeLessThanOrEqual(runPlan({ rate: 240, aht: 180, targetSl: 0.8, targetTime: 20 }).agents);
  });

  it.each([
    [{ targetSl: 1 }, '--target-sl must be between 0 and 1 (exclusive)'],
    [{ targetSl: 0 }, '--target-sl must be between 0 and 1 (exclusive)'],
    [{ targetSl: undefined }, 'a target is required'],
    [{ rate: -1 }, '--rate must be a number ≥ 0'],
    [{ aht: 0 }, '--aht must be a number > 0'],
    [{ targetTime: Number.NaN }, '--target-time must be a number ≥ 0'],
    [{ targetAsa: -3 }, '--target-asa must be a number > 0'],
    [{ patience: 0 }, '--patience must be a number > 0'],
    [{ maxOccupancy: 1.2 }, '--max-occupancy must be greater than 0 and at most 1'],
    [{ shrinkage: 1 }, '--shrinkage must be at least 0 and below 1'],
  ])('rejects %o', (override, message) => {
    const input = { rate: 200, aht: 180, targetSl: 0.8, targetTime: 20, ...override };
    expect(() => runPlan(input)).toThrow(PlanUsageError);
    expect(() => runPlan(input)).toThrow(message);
  });
});

describe('sluice plan', () => {
  it('prints exactly one JSON object with --json', async () => {
    const { stdout, stderr, exitCode } = await run([...BASE, '--shrinkage', '0.3', '--json']);
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const parsed: unknown = JSON.parse(stdout);
    expect(parsed).toEqual(runPlan({ rate: 200, aht: 180, targetSl: 0.8, targetTime: 20, shrinkage: 0.3 }));
    expect(parsed).toMatchObject({ agents: 14, scheduledAgents: 20 });
    expect(parsed).not.toHaveProperty('probabilityOfAbandon');
  });

  it('includes probabilityOfAbandon with --patience', async () => {
    const { stdout, exitCode } = await run([...BASE, '--patience', '60', '--json']);
    expect(exitCode).toBe(0);
    const parsed = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual([
      'agents',
      'asa',
      'occupancy',
      'probabilityOfAbandon',
      'probabilityOfWait',
      'scheduledAgents',
      'serviceLevel',
    ]);
  });

  it('prints a readable line without --json', async () => {
    const { stdout, exitCode } = await run([...BASE, '--shrinkage', '0.3']);
    expect(exitCode).toBe(0);
    expect(stdout).toBe('agents 14, scheduled 20 | service level 88.8% within 20 s | ASA 7.8 s | occupancy 71.4% | P(wait) 17.4%\n');
  });

  it('plans with an ASA target alone, the target time defaulting to 20 s', async () => {
    const { stdout, exitCode } = await run(['--rate', '200', '--aht', '180', '--target-asa', '15', '--json']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual(runPlan({ rate: 200, aht: 180, targetAsa: 15, targetTime: 20 }));
  });

  it('plans every interval of a forecast, as a table or a JSON array', async () => {
    const files = { 'f.csv': 'interval,calls,aht\n2024-05-01T09:00:00Z,100,180\n2024-05-01T09:30:00Z,50,180\n' };
    const json = await run(['--forecast', 'f.csv', '--target-sl', '0.8', '--json'], files);
    expect(json.exitCode).toBe(0);
    const plans = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(plans.map((p) => p.interval)).toEqual(['2024-05-01T09:00:00Z', '2024-05-01T09:30:00Z']);
    expect(plans[0]).toMatchObject({ calls: 100, aht: 180, agents: 14 });
    const quarter = await run(['--forecast', 'f.csv', '--target-sl', '0.8', '--interval-minutes', '15', '--json'], files);
    expect((JSON.parse(quarter.stdout) as Array<{ agents: number }>)[1]?.agents).toBe(14);
    const table = await run(['--forecast', 'f.csv', '--target-sl', '0.8'], files);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(table.stdout).toContain('2024-05-01T09:30:00Z');
  });

  it.each([
    [['--rate', '200', '--aht', '180', '--target-sl', '1.5'], 'error: --target-sl must be between 0 and 1 (exclusive)'],
    [
      ['--rate', '200', '--aht', '180', '--target-sl', '0.8', '--max-occupancy', '0'],
      'error: --max-occupancy must be greater than 0 and at most 1',
    ],
    [
      ['--rate', 'lots', '--aht', '180', '--target-sl', '0.8'],
      "error: option '--rate <callsPerHour>' argument 'lots' is invalid. Not a number.",
    ],
    [['--rate', '200', '--aht', '3m', '--target-sl', '0.8'], "argument '3m' is invalid"],
    [['--rate', '200', '--aht', '180', '--target-sl', '0.8', '--bogus'], "error: unknown option '--bogus'"],
    [['--rate', '200', '--aht', '180', '--target-sl'], "error: option '--target-sl <fraction>' argument missing"],
    [['--aht', '180', '--target-sl', '0.8'], 'error: --rate is required (calls per hour), or give --forecast'],
    [['--rate', '200', '--target-sl', '0.8'], 'error: --aht is required (seconds)'],
    [['--rate', '200', '--aht', '180'], 'error: a target is required'],
    [[...BASE, '--interval-minutes', '15'], 'error: --interval-minutes applies only with --forecast'],
    [['--forecast', 'f.csv', '--rate', '200', '--target-sl', '0.8'], 'error: --forecast takes rate and AHT from the file'],
    [['--forecast', 'missing.csv', '--target-sl', '0.8'], 'error: cannot read forecast file missing.csv: ENOENT'],
    [['--forecast', 'bad.csv', '--target-sl', '0.8'], 'error: forecast line 3, field "aht": expected a number, got "fast"'],
    [['--forecast', 'f.csv', '--target-sl', '0.8', '--interval-minutes', '0'], 'error: --interval-minutes must be a number > 0'],
  ])('exits with code 2 on %j', async (args, message) => {
    const files = { 'f.csv': 'interval,calls,aht\na,10,180\n', 'bad.csv': 'interval,calls,aht\na,10,180\nb,12,fast\n' };
    const { stdout, stderr, exitCode } = await run(args, files);
    expect(exitCode).toBe(USAGE_EXIT_CODE);
    expect(USAGE_EXIT_CODE).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it('exits with code 1 when no staffing level can meet the target', async () => {
    const { stdout, stderr, exitCode } = await run(['--rate', '200', '--aht', '180', '--target-asa', '1e-300']);
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: no staffing level up to 269 agents meets the target\n');
  });

  it('prints help to stdout and exits 0', async () => {
    const { stdout, exitCode } = await run(['--help']);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('--target-sl <fraction>');
    expect(stdout).toContain('--interval-minutes <minutes>');
  });
});
