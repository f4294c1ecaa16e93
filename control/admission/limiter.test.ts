import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../adapters/clock.js';
import { PRIORITIES } from '../types.js';
import type { Priority } from '../types.js';
import { AdaptiveLimiter } from './limiter.js';
import type { LimiterPermit } from './limiter.js';

const fixed = { initialLimit: 10, minLimit: 2, maxLimit: 10 };

describe('AdaptiveLimiter', () => {
  it('admits up to the limit and rejects the surplus at once', () => {
    const l = new AdaptiveLimiter(fixed, new ManualClock());
    const permits = Array.from({ length: 12 }, () => l.tryAcquire('normal'));
    expect(permits.filter((p) => p !== null)).toHaveLength(10);
    expect(l.inflight).toBe(10);
    l.onIgnore(permits[0]!);
    l.onIgnore(permits[0]!);
    expect(l.inflight).toBe(9);
    const other = new AdaptiveLimiter(fixed, new ManualClock());
    other.onIgnore(permits[1]!);
    expect(l.inflight).toBe(9);
  });

  it('backs off on drops and grows again from RTT samples', () => {
    const clock = new ManualClock();
    const l = new AdaptiveLimiter({ initialLimit: 40, minLimit: 4, maxLimit: 200 }, clock);
    for (let i = 0; i < 5; i++) l.onDrop(l.tryAcquire('normal')!);
    expect(l.limit).toBe(Math.floor(40 * 0.9 ** 5));
    for (let i = 0; i < 200; i++) {
      const batch = Array.from({ length: l.limit }, () => l.tryAcquire('normal')!);
      clock.advance(20);
      batch.forEach((p) => {
        l.onSuccess(p);
      });
    }
    expect(l.limit).toBeGreaterThan(40);
  });

  it('enforces shares once the limit is reached: the lowest class is shed first, vip gets its slot back', () => {
    const clock = new ManualClock();
    const l = new AdaptiveLimiter(fixed, clock);
    const low = Array.from({ length: 10 }, () => l.tryAcquire('low')!);
    expect(l.tryAcquire('vip')).toBeNull(); // full: nothing is pre-empted, contention starts
    l.onIgnore(low.pop()!);
    expect(l.tryAcquire('low')).toBeNull(); // low borrows 7 slots beyond its 2 while the others' guarantees are unused
    expect(l.tryAcquire('vip')).not.toBeNull();
    clock.advance(1_000);
    l.onIgnore(low.pop()!);
    expect(l.tryAcquire('low')).not.toBeNull(); // contention over: work-conserving again
  });

  it('ramps the limit up after warmUp()', () => {
    const clock = new ManualClock();
    const l = new AdaptiveLimiter({ ...fixed, warmupMs: 10_000 }, clock);
    l.warmUp();
    expect(l.limit).toBe(2);
    clock.advance(5_000);
    expect(l.limit).toBe(6);
    clock.advance(5_000);
    expect(l.limit).toBe(10);
  });

  it('never lets in-flight calls exceed the limit at admission (property)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('acquire' as const), p: fc.constantFrom<Priority>(...PRIORITIES) }),
      fc.record({
        k: fc.constantFrom('success' as const, 'drop' as const, 'ignore' as const),
        i: fc.nat(),
        rtt: fc.integer({ min: 0, max: 2_000 }),
      }),
      fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
      fc.constant({ k: 'warm' as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 400, size: 'max' }), (ops) => {
        const clock = new ManualClock();
        const l = new AdaptiveLimiter({ initialLimit: 8, minLimit: 2, maxLimit: 30, warmupMs: 4_000 }, clock);
        const held: LimiterPermit[] = [];
        for (const o of ops) {
          if (o.k === 'acquire') {
            const p = l.tryAcquire(o.p);
            if (p !== null) {
              held.push(p);
              expect(l.inflight).toBeLessThanOrEqual(l.limit);
            }
          } else if (o.k === 'advance') clock.advance(o.ms);
          else if (o.k === 'warm') l.warmUp();
          else if (held.length > 0) {
            const [p] = held.splice(o.i % held.length, 1);
            if (o.k === 'success') l.onSuccess(p!, o.rtt);
            else if (o.k === 'drop') l.onDrop(p!);
            else l.onIgnore(p!);
          }
          expect(l.inflight).toBe(held.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('restores its adaptive state and validates options', () => {
    const clock = new ManualClock();
    const l = new AdaptiveLimiter({ initialLimit: 40, maxLimit: 100 }, clock);
    l.onDrop(l.tryAcquire('high')!);
    const copy = new AdaptiveLimiter({ initialLimit: 40, maxLimit: 100 }, clock, JSON.parse(JSON.stringify(l)));
    expect(copy.limit).toBe(36);
    expect(() => new AdaptiveLimiter({}, clock, { v: 1 } as never)).toThrow(/limiter JSON/);
    expect(() => new AdaptiveLimiter({ shares: { vip: 0.5, high: 0.5, normal: 0.4, low: 0 } })).toThrow(
      /limiter\.shares must be fractions summing to ≤ 1/,
    );
    expect(() => new AdaptiveLimiter({ shares: { gold: 0.1 } as never })).toThrow(/limiter\.shares\.gold/);
  });
});
