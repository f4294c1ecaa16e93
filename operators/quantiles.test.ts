import { DDSketch } from '@datadog/sketches-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSketch, quantiles, valueAtQuantile, type QuantileAcc } from './quantiles.js';

const QS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];
const NAMES = ['p0', 'p10', 'p25', 'p50', 'p75', 'p90', 'p99', 'p99.9', 'p100'];

/** What a plain DDSketch fed the same values reports. */
function reference(values: readonly number[]): { count: number; min: number; max: number; quantiles: Record<string, number> } {
  const s = new DDSketch({ relativeAccuracy: 0.01 });
  for (const v of values) s.accept(v);
  const q: Record<string, number> = {};
  QS.forEach((x, i) => (q[NAMES[i] as string] = s.getValueAtQuantile(x)));
  return { count: s.count, min: s.min, max: s.max, quantiles: q };
}

const value = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constant(0),
  fc.double({ min: 0.5, max: 2, noNaN: true }),
);

describe('quantiles', () => {
  const agg = quantiles((v: number) => v, { quantiles: QS });
  const fold = (xs: readonly number[]): QuantileAcc => xs.reduce((acc, x) => agg.add(acc, x), agg.create());
  const summary = (acc: QuantileAcc) => {
    const { sum: _sum, ...rest } = agg.result(acc);
    return rest;
  };

  it('reports exactly what a DDSketch holding the same values reports, buffered or not', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), (xs) => {
        const acc = fold(xs);
        if (xs.length === 0) expect(agg.result(acc).count).toBe(0);
        else expect(summary(acc)).toEqual(reference(xs));
        agg.dispose?.(acc);
      }),
      { numRuns: 300 },
    );
  });

  it('merging split accumulators equals the sketch of all values, from `from` left unchanged', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 150 }), fc.array(value, { minLength: 1, maxLength: 150 }), (xs, ys) => {
        const a = fold(xs);
        const b = fold(ys);
        const before = summary(b);
        agg.merge(a, b);
        expect(summary(a)).toEqual(reference([...xs, ...ys]));
        expect(summary(b)).toEqual(before);
        agg.dispose?.(a);
        agg.dispose?.(b);
      }),
      { numRuns: 300 },
    );
  });

  it('recycled accumulators and sketches start empty, whatever range they held', () => {
    const big = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? 1 : -1) * 10 ** (i % 7));
    for (let round = 0; round < 5; round++) {
      const acc = fold(round % 2 === 0 ? big : [3, 1, 2]);
      expect(summary(acc)).toEqual(reference(round % 2 === 0 ? big : [3, 1, 2]));
      agg.dispose?.(acc);
    }
  });

  it('keeps the min and max a sketch keeps when 0 and −0 tie (a case the property test found)', () => {
    for (const xs of [[0, -0], [-0, 0], [0, -0, 5], [-0, 0, -5]]) expect(summary(fold(xs))).toEqual(reference(xs));
    expect(Object.is(summary(fold([0, -0])).max, 0)).toBe(true);
  });

  it('reports the sum alongside', () => {
    expect(agg.result(fold([1, 2, 3.5])).sum).toBe(6.5);
    expect(agg.result(fold(Array.from({ length: 100 }, (_, i) => i))).sum).toBe(4_950);
  });

  it('mergeSketch keeps negative values (the library merge drops them)', () => {
    const a = new DDSketch();
    const b = new DDSketch();
    [1, 2, 3].forEach((v) => a.accept(v));
    [-5, -6, 0.5].forEach((v) => b.accept(v));
    mergeSketch(a, b);
    const all = new DDSketch();
    [1, 2, 3, -5, -6, 0.5].forEach((v) => all.accept(v));
    for (const q of QS) expect(valueAtQuantile(a, q)).toBe(all.getValueAtQuantile(q));
    expect(valueAtQuantile(new DDSketch(), 0.5)).toBeNaN();
  });

  it('rejects bad options', () => {
    expect(() => quantiles((v: number) => v, { quantiles: [1.5] })).toThrow(/quantiles/);
    expect(() => quantiles((v: number) => v, { relativeAccuracy: 1 })).toThrow(/relativeAccuracy/);
  });
});
