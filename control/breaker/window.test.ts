import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSluiceError } from '../../core/errors.js';
import { SlidingWindow } from './window.js';

const shape = { windowMs: 10_000, buckets: 10 };

describe('SlidingWindow', () => {
  it('counts calls, errors and slow calls inside the window', () => {
    const w = new SlidingWindow(shape);
    w.record(0, 5, false, false);
    w.record(500, 5, true, false);
    w.record(1500, 3000, true, true);
    expect(w.counts(1500)).toEqual({ calls: 3, errors: 2, slow: 1 });
  });

  it('expires buckets as time moves and forgets everything after a long gap', () => {
    const w = new SlidingWindow(shape);
    w.record(0, 5, true, false);
    w.record(5_000, 5, false, false);
    expect(w.counts(9_999).calls).toBe(2);
    expect(w.counts(10_000)).toEqual({ calls: 1, errors: 0, slow: 0 });
    expect(w.counts(15_000).calls).toBe(0);
    w.record(16_000, 5, false, false);
    expect(w.counts(1_000_000).calls).toBe(0);
  });

  it('books a call stamped in the past into the newest bucket', () => {
    const w = new SlidingWindow(shape);
    w.record(9_000, 5, false, false);
    w.record(100, 5, false, false);
    expect(w.counts(9_000).calls).toBe(2);
    expect(w.counts(18_999).calls).toBe(2);
    expect(w.counts(19_000).calls).toBe(0);
  });

  it('reports latency quantiles from the histogram of live buckets only', () => {
    const w = new SlidingWindow(shape);
    for (let i = 0; i < 10; i++) w.record(0, 4000, false, true);
    for (let i = 0; i < 10; i++) w.record(6_000, 20, false, false);
    expect(w.quantile(6_000, 0.9)).toBeGreaterThanOrEqual(4000);
    expect(w.quantile(10_000, 0.9)).toBeLessThan(24);
  });

  it('agrees with a brute-force model on any sequence (property)', () => {
    const op = fc.record({ dt: fc.integer({ min: 0, max: 4_000 }), error: fc.boolean(), slow: fc.boolean(), query: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const w = new SlidingWindow(shape);
        const model: { epoch: number; error: boolean; slow: boolean }[] = [];
        let now = 0;
        let head = Number.NEGATIVE_INFINITY;
        for (const o of ops) {
          now += o.dt;
          head = Math.max(head, Math.floor(now / 1000));
          if (o.query) {
            const live = model.filter((m) => m.epoch > head - 10);
            expect(w.counts(now)).toEqual({
              calls: live.length,
              errors: live.filter((m) => m.error).length,
              slow: live.filter((m) => m.slow).length,
            });
          } else {
            w.record(now, 10, o.error, o.slow);
            model.push({ epoch: head, error: o.error, slow: o.slow });
          }
        }
      }),
    );
  });

  it('survives toJSON → JSON text → restore with identical counts and quantiles', () => {
    const w = new SlidingWindow(shape);
    for (let t = 0; t < 9_000; t += 700) w.record(t, t / 10, t % 1400 === 0, t > 5000);
    const copy = SlidingWindow.restore(JSON.parse(JSON.stringify(w)), shape);
    expect(copy.counts(9_000)).toEqual(w.counts(9_000));
    expect(copy.quantile(9_000, 0.5)).toBe(w.quantile(9_000, 0.5));
    expect(copy.counts(14_000)).toEqual(w.counts(14_000));
  });

  it('refuses to restore a snapshot of another shape or a malformed one', () => {
    const json = new SlidingWindow(shape).toJSON();
    const err = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = err(() => SlidingWindow.restore(json, { windowMs: 20_000, buckets: 10 }));
    expect(isSluiceError(e1) && e1.code).toBe('SLUICE_ERR_CONTROL_STATE_INVALID');
    const e2 = err(() => SlidingWindow.restore({ ...json, calls: [1, 2] }, shape));
    expect(isSluiceError(e2) && e2.message).toMatch(/window\.calls/);
    expect(isSluiceError(err(() => SlidingWindow.restore(null, shape)))).toBe(true);
  });
});
