import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER_CONFIG } from './config.js';
import { tripReason } from './rules.js';

const cfg = DEFAULT_BREAKER_CONFIG;

describe('tripReason', () => {
  it('stays closed below minCalls unless the error-count rule fires', () => {
    expect(tripReason({ calls: 19, errors: 4, slow: 19 }, cfg)).toBeNull();
    expect(tripReason({ calls: 6, errors: 5, slow: 0 }, cfg)).toMatch(/5 errors .* quiet channel/);
  });

  it('trips on the error ratio at and above the threshold only', () => {
    expect(tripReason({ calls: 20, errors: 9, slow: 0 }, cfg)).toBeNull();
    expect(tripReason({ calls: 20, errors: 10, slow: 0 }, cfg)).toMatch(/error ratio 0\.50/);
  });

  it('trips on the slow-call ratio', () => {
    expect(tripReason({ calls: 40, errors: 0, slow: 20 }, cfg)).toMatch(/slow-call ratio/);
    expect(tripReason({ calls: 40, errors: 0, slow: 19 }, cfg)).toBeNull();
  });

  it('does not apply the count rule to busy channels, and errorCount 0 disables it', () => {
    expect(tripReason({ calls: 1000, errors: 50, slow: 0 }, cfg)).toBeNull();
    expect(tripReason({ calls: 5, errors: 5, slow: 0 }, { ...cfg, errorCount: 0 })).toBeNull();
  });
});
