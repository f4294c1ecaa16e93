import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMIT_CONFIG, initialLimitState, onDropSample, onRttSample, onSuccessWithoutRtt, resolveLimitConfig } from './gradient.js';
import type { LimitState } from './gradient.js';

const cfg = DEFAULT_LIMIT_CONFIG;

function feed(s: LimitState, rtt: number, n: number, inflight = (x: LimitState) => Math.floor(x.limit)): LimitState {
  for (let i = 0; i < n; i++) s = onRttSample(s, rtt, inflight(s), cfg);
  return s;
}

describe('gradient limit', () => {
  it('grows while RTT stays at its baseline and the channel is busy', () => {
    const s = feed(initialLimitState(cfg), 50, 50);
    expect(s.limit).toBeGreaterThan(cfg.initialLimit * 2);
    expect(s.longRtt).toBeCloseTo(50);
  });

  it('does not grow while app-limited (in flight < limit / 2)', () => {
    const s = feed(initialLimitState(cfg), 50, 50, () => 3);
    expect(s.limit).toBe(cfg.initialLimit);
  });

  it('shrinks when RTT climbs well above the long-term baseline', () => {
    const warm = feed(initialLimitState(cfg), 50, 100);
    const slow = feed(warm, 400, 20);
    expect(slow.limit).toBeLessThan(warm.limit / 2);
  });

  it('AIMD: multiplies by backoffRatio on a drop, adds one on a busy success without RTT', () => {
    const s = { limit: 100, longRtt: 10, samples: 50 };
    expect(onDropSample(s, cfg).limit).toBeCloseTo(90);
    expect(onSuccessWithoutRtt(s, 50, cfg).limit).toBe(101);
    expect(onSuccessWithoutRtt(s, 10, cfg).limit).toBe(100);
    expect(onRttSample(s, 0, 80, cfg).limit).toBe(101);
  });

  it('stays within [minLimit, maxLimit] whatever happens (property)', () => {
    const event = fc.oneof(fc.double({ min: 0.01, max: 10_000, noNaN: true }), fc.constant('drop' as const), fc.constant(0));
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.integer({ min: 0, max: 1_000 })), { maxLength: 300 }), (events) => {
        let s = initialLimitState(cfg);
        for (const [e, inflight] of events) {
          s = e === 'drop' ? onDropSample(s, cfg) : onRttSample(s, e, inflight, cfg);
          expect(s.limit).toBeGreaterThanOrEqual(cfg.minLimit);
          expect(s.limit).toBeLessThanOrEqual(cfg.maxLimit);
        }
      }),
    );
  });

  it('validates its options', () => {
    expect(() => resolveLimitConfig({ minLimit: 10, maxLimit: 5 })).toThrow(/limiter\.maxLimit must be ≥ limiter\.minLimit/);
    expect(() => resolveLimitConfig({ initialLimit: 1_000 })).toThrow(/limiter\.initialLimit/);
    expect(() => resolveLimitConfig({ backoffRatio: 1 })).toThrow(/limiter\.backoffRatio/);
  });
});
