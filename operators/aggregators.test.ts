import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateAll, count, max, mean, min, sum, type Aggregator } from './aggregators.js';

const fold = <T, A, R>(agg: Aggregator<T, A, R>, xs: readonly T[]): A => xs.reduce((acc, x) => agg.add(acc, x), agg.create());
const id = (x: number): number => x;

describe('aggregators', () => {
  it('compute count, sum, min, max and mean', () => {
    const xs = [4, -2, 10, 0];
    expect(count().result(fold(count(), xs))).toBe(4);
    expect(sum(id).result(fold(sum(id), xs))).toBe(12);
    expect(min(id).result(fold(min(id), xs))).toBe(-2);
    expect(max(id).result(fold(max(id), xs))).toBe(10);
    expect(mean(id).result(fold(mean(id), xs))).toBe(3);
    expect(mean(id).result(mean(id).create())).toBeNaN();
  });

  it('merging partial accumulators equals folding everything (the law panes rely on)', () => {
    const all = aggregateAll({ n: count(), s: sum(id), lo: min(id), hi: max(id), avg: mean(id) });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1_000, max: 1_000 })), fc.nat(), (xs, cut) => {
        const at = xs.length === 0 ? 0 : cut % (xs.length + 1);
        const merged = all.merge(fold(all, xs.slice(0, at)), fold(all, xs.slice(at)));
        expect(all.result(merged)).toEqual(all.result(fold(all, xs)));
      }),
    );
  });

  it('aggregateAll names its results and leaves the merged-from accumulator intact', () => {
    const all = aggregateAll({ n: count(), total: sum(id) });
    const a = fold(all, [1, 2]);
    const b = fold(all, [5]);
    all.merge(a, b);
    expect(all.result(a)).toEqual({ n: 3, total: 8 });
    expect(all.result(b)).toEqual({ n: 1, total: 5 });
  });
});
