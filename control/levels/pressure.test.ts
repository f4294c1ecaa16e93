import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSluiceError } from '../../core/errors.js';
import { COMPONENTS, DEFAULT_PRESSURE_CONFIG, assessPressure, normalise, resolvePressureConfig } from './pressure.js';
import type { Signals } from './pressure.js';

const calm: Signals = {
  callsWaiting: 0,
  longestWaitMs: 0,
  availableAgents: 10,
  occupancy: 0.5,
  trunkUtilisation: 0.2,
  ctiAvailable: 1,
  ctiLatencyMs: 50,
};
const c = DEFAULT_PRESSURE_CONFIG;

describe('pressure', () => {
  it('is 0 when calm and 1 when every signal is saturated', () => {
    expect(assessPressure(calm, c).score).toBe(0);
    const full: Signals = {
      callsWaiting: 100,
      longestWaitMs: 60_000,
      predictedWaitMs: 60_000,
      availableAgents: 0,
      occupancy: 1,
      offeredPerMin: 500,
      trunkUtilisation: 1,
      ctiAvailable: 1,
      ctiLatencyMs: 5_000,
      eventLoopLagMs: 2_000,
      consumerLag: 1e7,
      insertLatencyMs: 60_000,
    };
    expect(assessPressure(full, c).score).toBe(1);
  });

  it('normalises by the documented rules', () => {
    const n = normalise(
      {
        callsWaiting: 5,
        longestWaitMs: 40_000,
        availableAgents: 1,
        occupancy: 0.85,
        trunkUtilisation: 0.825,
        ctiAvailable: 0.5,
        ctiLatencyMs: 1_100,
      },
      c,
    );
    expect(n.waiting).toBeCloseTo(0.25);
    expect(n.longestWait).toBeCloseTo(0.5);
    expect(n.agents).toBeCloseTo(2 / 3);
    expect(n.occupancy).toBeCloseTo(0.5);
    expect(n.trunk).toBeCloseTo(0.5);
    expect(n.cti).toBeCloseTo(0.5);
    expect(n.predictedWait).toBeUndefined();
  });

  it('weights the mean and leaves missing signals out', () => {
    const r = assessPressure({ callsWaiting: 20, longestWaitMs: 0, availableAgents: 3 }, c);
    // waiting 1 (w 2), longestWait 0 (w 3), agents 0 (w 1): 2 / 6
    expect(r.score).toBeCloseTo(2 / 6);
    expect(r.present).toBe(3);
    expect(r.top).toBe('waiting');
  });

  it('lets a CTI failure alone drive the score to 1 (dominant component)', () => {
    const r = assessPressure({ ...calm, ctiAvailable: 0 }, c);
    expect(r.score).toBe(1);
    expect(r.top).toBe('cti');
    expect(assessPressure({ ...calm, ctiAvailable: 0 }, resolvePressureConfig({ dominant: [] })).score).toBeLessThan(0.3);
  });

  it('treats NaN and missing as absent, and reports no signals as present 0', () => {
    const r = assessPressure({ callsWaiting: Number.NaN, longestWaitMs: Number.NaN, availableAgents: Number.NaN }, c);
    expect(r).toMatchObject({ score: 0, present: 0, top: null });
  });

  it('stays in [0, 1] and never falls when a signal worsens (property)', () => {
    const sig = fc.record({
      callsWaiting: fc.integer({ min: 0, max: 200 }),
      longestWaitMs: fc.integer({ min: 0, max: 120_000 }),
      availableAgents: fc.integer({ min: 0, max: 50 }),
      occupancy: fc.double({ min: 0, max: 1, noNaN: true }),
      ctiAvailable: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(sig, fc.integer({ min: 1, max: 100 }), (s, more) => {
        const a = assessPressure(s, c).score;
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
        expect(assessPressure({ ...s, callsWaiting: s.callsWaiting + more }, c).score).toBeGreaterThanOrEqual(a);
        expect(assessPressure({ ...s, availableAgents: Math.max(0, s.availableAgents - more) }, c).score).toBeGreaterThanOrEqual(a);
      }),
    );
  });

  it.each([
    [{ waitingFull: 0 }, /pressure\.waitingFull/],
    [{ trunkLow: 0.9, trunkHigh: 0.8 }, /pressure\.trunkHigh must be > pressure\.trunkLow/],
    [{ weights: { waiting: -1 } }, /pressure\.weights\.waiting/],
    [{ weights: { queue: 1 } }, /pressure\.weights\.queue must be a known component/],
    [{ dominant: ['nope'] }, /pressure\.dominant/],
    [{ weights: Object.fromEntries(COMPONENTS.map((k) => [k, 0])) }, /at least one weight/],
  ])('rejects %o naming the field', (partial, message) => {
    let error: unknown;
    try {
      resolvePressureConfig(partial as never);
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_CONFIG_INVALID');
    expect((error as Error).message).toMatch(message);
  });
});
