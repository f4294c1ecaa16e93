import { describe, expect, it } from 'vitest';
import { integrateExpConcave } from './quadrature.js';

describe('integrateExpConcave', () => {
  it('integrates a decaying exponential exactly: ∫₀ᵗ e^(−kx) dx = (1 − e^(−kt))/k', () => {
    for (const [k, t] of [
      [0.5, 3],
      [2, 20],
      [55, 1e5],
      [1e-3, 10],
    ] as const) {
      expect(integrateExpConcave((x) => -k * x, 0, t)).toBeCloseTo(-Math.expm1(-k * t) / k, 12);
    }
  });

  it('integrates an interior peak: a Gaussian over a long range', () => {
    const sigma = 0.01;
    const mean = 400;
    const mass = integrateExpConcave((x) => -((x - mean) ** 2) / (2 * sigma * sigma), mean, 1e4);
    expect(mass).toBeCloseTo(sigma * Math.sqrt(2 * Math.PI), 12);
  });

  it('returns 0 on an empty range', () => {
    expect(integrateExpConcave(() => 0, 0, 0)).toBe(0);
  });
});
