import { describe, expect, it } from 'vitest';
import { DEFAULT_LEVEL_CONFIG, resolveLevelConfig, resolveLevelConfigs } from './config.js';

describe('level config', () => {
  it('merges per-tenant options over the defaults', () => {
    const configs = resolveLevelConfigs({ holdMs: 10_000 }, { acme: { thresholds: [0.4, 0.6, 0.8] } });
    expect(configs.forTenant('acme')).toMatchObject({ thresholds: [0.4, 0.6, 0.8], holdMs: 10_000 });
    expect(configs.forTenant('other')).toMatchObject({ thresholds: DEFAULT_LEVEL_CONFIG.thresholds, holdMs: 10_000 });
    expect(Object.isFrozen(configs.forTenant('acme').thresholds)).toBe(true);
  });

  it.each([
    [{ thresholds: [0.5, 0.5, 0.9] }, /levels\.thresholds must be three strictly increasing pressures/],
    [{ thresholds: [0.5, 0.7] }, /levels\.thresholds/],
    [{ thresholds: [0.5, 0.7, 1.2] }, /levels\.thresholds/],
    [{ escalateTicks: 0 }, /levels\.escalateTicks must be an integer ≥ 1/],
    [{ holdMs: 60_000, holdMaxMs: 30_000 }, /levels\.holdMaxMs must be ≥ levels\.holdMs/],
    [{ hysteresis: 0.5 }, /levels\.hysteresis must be < levels\.thresholds\[0\]/],
  ])('rejects %o naming the field', (partial, message) => {
    expect(() => resolveLevelConfig(partial as never)).toThrow(message);
  });

  it('names the tenant in per-tenant errors', () => {
    expect(() => resolveLevelConfigs({}, { acme: { maxOverrideMs: 0 } })).toThrow(/levels\.tenants\.acme\.maxOverrideMs/);
  });
});
