import { describe, expect, it } from 'vitest';
import { controlVerdicts, type TargetInputs } from './targets.js';

const base: TargetInputs = {
  decisionNs: 500,
  opossumNs: 440,
  routePerSec: 24_000,
  baselinePerSec: 31_000,
  routeP99Ms: 2,
  baselineP99Ms: 1,
  escalationTicks: 1,
};
const met = (x: Partial<TargetInputs>) => Object.fromEntries(controlVerdicts({ ...base, ...x }).map((v) => [v.key, v.met]));

describe('controlVerdicts', () => {
  it('judges the HTTP rate against the baseline of the same run, not a fixed 20 000/s', () => {
    // A slow machine: 9 000/s is far below the old fixed 20 000/s, yet 0.75 of what the bare app serves there.
    expect(met({ routePerSec: 9_000, baselinePerSec: 12_000 }).routeVsBaseline).toBe(true);
    // A fast machine: 25 000/s clears the old fixed figure but is only half of the bare app.
    expect(met({ routePerSec: 25_000, baselinePerSec: 50_000 }).routeVsBaseline).toBe(false);
  });

  it('judges the saturated p99 against the baseline p99 of the same run, not a fixed 5 ms', () => {
    // A loaded machine: 6 ms is over the old fixed 5 ms, but the bare app's p99 was 6.5 ms beside it.
    expect(met({ routeP99Ms: 6, baselineP99Ms: 6.5 }).routeVsBaseline).toBe(true);
    // 3 ms is under 5 ms, but three times the bare app's 1 ms.
    expect(met({ routeP99Ms: 3, baselineP99Ms: 1 }).routeVsBaseline).toBe(false);
    expect(met({ routeP99Ms: 2.5, baselineP99Ms: 1 }).routeVsBaseline).toBe(true);
  });

  it('judges the decision against opossum measured beside it, not a fixed 2 µs', () => {
    // 2.5 µs: over the old fixed 2 µs, but under 4× a 700 ns opossum on a slow machine.
    expect(met({ decisionNs: 2_500, opossumNs: 700 }).decisionVsOpossum).toBe(true);
    // 1.5 µs: under the old 2 µs, but over 4× a 300 ns opossum on a fast one.
    expect(met({ decisionNs: 1_500, opossumNs: 300 }).decisionVsOpossum).toBe(false);
  });

  it('reports a decision slower than opossum as not met, with the ratio', () => {
    const v = controlVerdicts({ ...base, decisionNs: 506, opossumNs: 440 }).find((x) => x.key === 'decisionNoSlowerThanOpossum')!;
    expect(v.met).toBe(false);
    expect(v.measured).toBe('1.15× opossum');
    expect(met({ decisionNs: 430 }).decisionNoSlowerThanOpossum).toBe(true);
  });

  it('is not met when a baseline is missing (zero), rather than dividing by it', () => {
    expect(met({ baselinePerSec: 0 }).routeVsBaseline).toBe(false);
    expect(met({ opossumNs: 0 }).decisionVsOpossum).toBe(false);
  });

  it('wants the escalation within 1–2 ticks of the onset (never escalating is -1)', () => {
    expect(met({ escalationTicks: 2 }).escalationTicks).toBe(true);
    expect(met({ escalationTicks: 3 }).escalationTicks).toBe(false);
    expect(met({ escalationTicks: -1 }).escalationTicks).toBe(false);
  });
});
