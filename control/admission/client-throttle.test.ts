import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../adapters/clock.js';
import { seededRandom } from '../types.js';
import { ClientThrottle, rejectProbability } from './client-throttle.js';

describe('client-side throttle (SRE)', () => {
  it('implements max(0, (requests − K·accepts) / (requests + 1))', () => {
    expect(rejectProbability(0, 0, 2)).toBe(0);
    expect(rejectProbability(100, 100, 2)).toBe(0);
    expect(rejectProbability(100, 40, 2)).toBeCloseTo(20 / 101);
    expect(rejectProbability(99, 0, 2)).toBeCloseTo(0.99);
  });

  it('counts requests before sending, accepts only after success', () => {
    const t = new ClientThrottle({}, new ManualClock(0), () => 0.999);
    expect(t.route()).toBe('primary');
    expect(t.totals()).toEqual({ requests: 1, accepts: 0 });
    t.onAccept();
    expect(t.totals()).toEqual({ requests: 1, accepts: 1 });
  });

  it('spills most traffic while the primary fails, yet keeps probing it', () => {
    const t = new ClientThrottle({}, new ManualClock(0), seededRandom(7));
    const routes = Array.from({ length: 2_000 }, () => t.route());
    const primary = routes.filter((r) => r === 'primary').length;
    expect(primary).toBeGreaterThan(0);
    expect(primary).toBeLessThan(100);
  });

  it('never spills while the primary accepts everything (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 200 }), fc.integer(), (gaps, seed) => {
        const clock = new ManualClock(0);
        const t = new ClientThrottle({}, clock, seededRandom(seed));
        for (const g of gaps) {
          clock.advance(g);
          expect(t.route()).toBe('primary');
          t.onAccept();
        }
      }),
    );
  });

  it('forgets the failures once they leave the window', () => {
    const clock = new ManualClock(0);
    const t = new ClientThrottle({ windowMs: 60_000, buckets: 6 }, clock, () => 0.5);
    for (let i = 0; i < 100; i++) t.route();
    expect(t.probability()).toBeGreaterThan(0.9);
    clock.advance(60_000);
    expect(t.probability()).toBe(0);
    expect(() => new ClientThrottle({ k: 0.5 })).toThrow(/throttle\.k/);
    expect(() => new ClientThrottle({ windowMs: 1_001, buckets: 10 })).toThrow(/throttle\.windowMs/);
  });
});
