import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { resolveBreakerConfig } from './config.js';

describe('resolveBreakerConfig', () => {
  it('merges over defaults and freezes', () => {
    const c = resolveBreakerConfig({ probes: 2, probeSuccesses: 2 });
    expect(c.probes).toBe(2);
    expect(c.windowMs).toBe(10_000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{ errorRatio: 0 }, /breaker\.errorRatio must be a finite number > 0 ≤ 1/],
    [{ windowMs: 10_001 }, /breaker\.windowMs must be a multiple of breaker\.buckets/],
    [{ probes: 2, probeSuccesses: 3 }, /breaker\.probeSuccesses must be ≤ breaker\.probes/],
    [{ openMaxMs: 10 }, /breaker\.openMaxMs must be ≥ breaker\.openBaseMs/],
    [{ jitter: 1 }, /breaker\.jitter/],
    [{ minCall: 3 } as never, /breaker\.minCall must be a known option/],
  ])('rejects %o naming the field', (partial, message) => {
    let error: unknown;
    try {
      resolveBreakerConfig(partial);
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_CONFIG_INVALID');
    expect((error as Error).message).toMatch(message);
  });
});
