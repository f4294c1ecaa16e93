import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_BREAKER_CONFIG } from './config.js';
import type { BreakerConfig } from './config.js';
import { LEGAL_TRANSITIONS, deadline, effectiveK, initialBreakerState, openDurationMs, transition } from './machine.js';
import type { BreakerInput, BreakerState } from './machine.js';

const cfg: BreakerConfig = { ...DEFAULT_BREAKER_CONFIG, jitter: 0, openBaseMs: 1_000, openMaxMs: 8_000, probes: 3, probeSuccesses: 2 };
const zero = (): number => 0;

describe('breaker machine', () => {
  it('escalates the open duration as min(base·2^(k−1), max)', () => {
    expect([1, 2, 3, 4, 5, 9].map((k) => openDurationMs(k, cfg, 0))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('jitter only shortens, by at most the jitter fraction (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        (k, r, jitter) => {
          const c = { ...cfg, jitter };
          const plain = Math.min(c.openBaseMs * 2 ** (k - 1), c.openMaxMs);
          const d = openDurationMs(k, c, r);
          expect(d).toBeLessThanOrEqual(c.openMaxMs);
          expect(d).toBeGreaterThanOrEqual(Math.floor(plain * (1 - jitter)));
        },
      ),
    );
  });

  it('decays k by one per healthy interval while closed, never below 0', () => {
    const s: BreakerState = { ...initialBreakerState(0), k: 3 };
    expect(effectiveK(s, cfg.healthyIntervalMs - 1, cfg)).toBe(3);
    expect(effectiveK(s, cfg.healthyIntervalMs, cfg)).toBe(2);
    expect(effectiveK(s, 10 * cfg.healthyIntervalMs, cfg)).toBe(0);
  });

  it('returns the same object when an input does not apply', () => {
    const s = initialBreakerState(0);
    expect(transition(s, { type: 'tick' }, 1e9, cfg, zero)).toBe(s);
    expect(transition(s, { type: 'probe-success' }, 1, cfg, zero)).toBe(s);
    const o = transition(s, { type: 'trip', reason: 'x' }, 0, cfg, zero);
    expect(transition(o, { type: 'trip', reason: 'again' }, 1, cfg, zero)).toBe(o);
  });

  it('walks closed → open → half-open → closed with the documented deadlines', () => {
    let s: BreakerState = transition(initialBreakerState(0), { type: 'trip', reason: 'errors' }, 0, cfg, zero);
    expect(s).toMatchObject({ name: 'open', k: 1, until: 1_000 });
    expect(deadline(s, cfg)).toBe(1_000);
    s = transition(s, { type: 'tick' }, 1_000, cfg, zero);
    expect(s).toMatchObject({ name: 'half-open', trial: 1_000, admitted: 0 });
    expect(deadline(s, cfg)).toBe(1_000 + cfg.halfOpenMaxMs);
    s = transition(transition(s, { type: 'probe-admitted' }, 1_001, cfg, zero), { type: 'probe-admitted' }, 1_001, cfg, zero);
    s = transition(s, { type: 'probe-success' }, 1_002, cfg, zero);
    expect(s.name).toBe('half-open');
    s = transition(s, { type: 'probe-success' }, 1_003, cfg, zero);
    expect(s).toMatchObject({ name: 'closed', k: 1, since: 1_003 });
  });

  it('only makes legal transitions and never lets admitted exceed probes (property)', () => {
    const input: fc.Arbitrary<BreakerInput> = fc.oneof(
      fc.constant({ type: 'tick' } as const),
      fc.constant({ type: 'trip', reason: 'r' } as const),
      fc.constant({ type: 'probe-admitted' } as const),
      fc.constant({ type: 'probe-success' } as const),
      fc.constant({ type: 'probe-failure', reason: 'r' } as const),
      fc.record({
        type: fc.constant('force' as const),
        mode: fc.constantFrom('open' as const, 'closed' as const),
        until: fc.integer({ min: 0, max: 200_000 }),
        reason: fc.constant('op'),
      }),
      fc.constant({ type: 'clear-force', reason: 'op' } as const),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(input, fc.integer({ min: 0, max: 40_000 })), { minLength: 10, maxLength: 120, size: 'max' }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (steps, r) => {
          let s: BreakerState = initialBreakerState(0);
          let now = 0;
          for (const [inp, dt] of steps) {
            now += dt;
            const next = transition(s, inp, now, { ...cfg, jitter: 0.3 }, () => r);
            if (next.gen !== s.gen) {
              expect(LEGAL_TRANSITIONS[s.name]).toContain(next.name);
              expect(next.gen).toBe(s.gen + 1);
            } else {
              expect(next.name).toBe(s.name);
            }
            if (next.name === 'half-open') expect(next.admitted).toBeLessThanOrEqual(cfg.probes);
            if (next.name === 'open' && next.gen !== s.gen) expect(next.until).toBeGreaterThan(now);
            expect(Object.isFrozen(next)).toBe(true);
            s = next;
          }
        },
      ),
    );
  });
});
