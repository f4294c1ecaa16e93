import { describe, expect, it } from 'vitest';
import { RateEwma, ewmaStep } from './ewma.js';

describe('ewma', () => {
  it('moves halfway to the sample after one half-life and ignores zero intervals', () => {
    expect(ewmaStep(0, 10, 1_000, 1_000)).toBeCloseTo(5);
    expect(ewmaStep(3, 10, 0, 1_000)).toBe(3);
  });

  it('does not depend on how often it is folded', () => {
    const a = ewmaStep(ewmaStep(0, 10, 500, 1_000), 10, 500, 1_000);
    expect(a).toBeCloseTo(ewmaStep(0, 10, 1_000, 1_000));
  });

  it('converges to a steady event rate, per minute, and survives toJSON', () => {
    const r = new RateEwma(10_000);
    for (let t = 0; t <= 120_000; t += 1_000) {
      r.observe(t, 2);
      r.ratePerMin(t);
    }
    expect(r.ratePerMin(120_000)).toBeCloseTo(120, 0);
    expect(r.ratePerMin(130_000)).toBeCloseTo(60, 0); // ten quiet seconds: one half-life
    const copy = new RateEwma(10_000, JSON.parse(JSON.stringify(r)));
    expect(copy.ratePerMin(121_000)).toBe(r.ratePerMin(121_000));
    expect(new RateEwma().ratePerMin(5)).toBe(0);
  });
});
