import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../adapters/clock.js';
import { isSluiceError } from '../../core/errors.js';
import { TokenBucket, refill } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, allows a burst, then refills at the rate', () => {
    const clock = new ManualClock(0);
    const b = new TokenBucket({ ratePerSec: 10, burst: 5 }, clock);
    expect(Array.from({ length: 6 }, () => b.tryTake())).toEqual([true, true, true, true, true, false]);
    expect(b.msUntil()).toBe(100);
    clock.advance(99);
    expect(b.tryTake()).toBe(false);
    clock.advance(1);
    expect(b.tryTake()).toBe(true);
    clock.advance(60_000);
    expect(b.available()).toBe(5);
    expect(b.msUntil(6)).toBe(Number.POSITIVE_INFINITY);
  });

  it('never admits more than burst + rate × elapsed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }),
        (rate, burst, gaps) => {
          const clock = new ManualClock(0);
          const b = new TokenBucket({ ratePerSec: rate, burst }, clock);
          let taken = 0;
          for (const g of gaps) {
            clock.advance(g);
            while (b.tryTake()) taken += 1;
          }
          expect(taken).toBeLessThanOrEqual(burst + (rate * clock.now()) / 1_000 + 1e-9);
        },
      ),
    );
  });

  it('keeps tokens across reconfigure, capped at the new burst, and ignores a clock going back', () => {
    const clock = new ManualClock(1_000);
    const b = new TokenBucket({ ratePerSec: 1, burst: 10 }, clock);
    b.reconfigure({ ratePerSec: 1, burst: 3 });
    expect(b.available()).toBe(3);
    expect(refill({ tokens: 1, at: 2_000 }, 1_000, b.config)).toEqual({ tokens: 1, at: 2_000 });
  });

  it('restores from its JSON', () => {
    const clock = new ManualClock(0);
    const b = new TokenBucket({ ratePerSec: 2, burst: 4 }, clock);
    b.tryTake(3);
    const copy = new TokenBucket({ ratePerSec: 2, burst: 4 }, clock, JSON.parse(JSON.stringify(b)));
    clock.advance(500);
    expect(copy.available()).toBe(2);
  });

  it('rejects bad options and states naming the field', () => {
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return isSluiceError(e) ? e.message : e;
      }
      return undefined;
    };
    expect(code(() => new TokenBucket({ ratePerSec: -1, burst: 1 }))).toMatch(/tokenBucket\.ratePerSec must be a finite number ≥ 0/);
    expect(code(() => new TokenBucket({ ratePerSec: 1, burst: 0 }))).toMatch(/tokenBucket\.burst/);
    expect(code(() => new TokenBucket({ ratePerSec: 1, burst: 1 }, undefined, { tokens: Number.NaN, at: 0 }))).toMatch(/state/);
  });
});
