import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from './defaults.js';
import { slowedTenants } from './non-critical.js';
import type { TenantPolicy } from './schema.js';

const defaults = () => DEFAULT_POLICY;

describe('slowedTenants', () => {
  it('slows a tenant at L1 and above under the default policy, never at L0', () => {
    expect(slowedTenants([], defaults)).toEqual(new Set());
    expect(slowedTenants([{ tenant: 'acme', level: 0 }], defaults)).toEqual(new Set());
    for (const level of [1, 2, 3] as const) expect(slowedTenants([{ tenant: 'acme', level }], defaults)).toEqual(new Set(['acme']));
  });

  it('takes the highest level of any of the tenant’s scopes, in any order, and keeps tenants apart', () => {
    const levels = [
      { tenant: 'acme', level: 0 as const },
      { tenant: 'acme', level: 2 as const }, // one skill group under pressure
      { tenant: 'acme', level: 0 as const },
      { tenant: 'globex', level: 0 as const },
    ];
    expect(slowedTenants(levels, defaults)).toEqual(new Set(['acme']));
  });

  it('follows each tenant’s own policy: a level whose policy says no does not slow', () => {
    const keepPace: TenantPolicy = {
      levels: { ...DEFAULT_POLICY.levels, L1: { ...DEFAULT_POLICY.levels.L1, slowNonCritical: false } },
    };
    const policyOf = (t: string) => (t === 'acme' ? keepPace : DEFAULT_POLICY);
    const levels = [
      { tenant: 'acme', level: 1 as const },
      { tenant: 'globex', level: 1 as const },
    ];
    expect(slowedTenants(levels, policyOf)).toEqual(new Set(['globex']));
    expect(slowedTenants([{ tenant: 'acme', level: 2 }], policyOf)).toEqual(new Set(['acme']));
  });
});
