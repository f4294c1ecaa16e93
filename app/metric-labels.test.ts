import { describe, expect, it } from 'vitest';
import { parseApiKeys } from './config.js';
import { foldSeries, knownTenants, LabelBounds, OTHER_LABEL } from './metric-labels.js';

describe('LabelBounds', () => {
  it('keeps the known tenants and folds every other tenant, with all its values, into _other', () => {
    const folds: string[] = [];
    const b = new LabelBounds({ tenants: ['acme', 'globex'], onFold: (l) => folds.push(l) });
    expect(b.tenant('acme')).toBe('acme');
    expect(b.tenant('mallory-1')).toBe(OTHER_LABEL);
    expect(b.value('skill_group', 'mallory-2', 'sales')).toBe(OTHER_LABEL);
    expect(b.value('skill_group', 'globex', 'sales')).toBe('sales');
    // Counted once per tenant label folded, not again for the tenant's other labels.
    expect(folds).toEqual(['tenant']);
  });

  it('gives each tenant a fixed set of values per label, first come, and folds the rest; a kept value stays', () => {
    const b = new LabelBounds({ tenants: ['acme', 'globex'], valuesPerLabel: 3 });
    expect(['a', 'b', 'c', 'd', 'e'].map((v) => b.value('skill_group', 'acme', v))).toEqual(['a', 'b', 'c', OTHER_LABEL, OTHER_LABEL]);
    expect(b.value('skill_group', 'acme', 'b')).toBe('b');
    // Another tenant, and another label of the same tenant, have sets of their own.
    expect(['d', 'e', 'f'].map((v) => b.value('skill_group', 'globex', v))).toEqual(['d', 'e', 'f']);
    expect(b.value('flow', 'acme', 'd')).toBe('d');
    // A value spelled like the fold is never given a series of its own.
    expect(b.value('flow', 'acme', OTHER_LABEL)).toBe(OTHER_LABEL);
    expect(b.value('flow', 'acme', 'x')).toBe('x');
  });

  it('bounds labels without a tenant in all, and tenants first come when none are configured', () => {
    const b = new LabelBounds({ valuesPerLabel: 2 });
    expect(['r1', 'r2', 'r3', 'r1'].map((v) => b.shared('reason', v))).toEqual(['r1', 'r2', OTHER_LABEL, 'r1']);
    expect(['t1', 't2', 't3', 't1'].map((t) => b.tenant(t))).toEqual(['t1', 't2', OTHER_LABEL, 't1']);
    expect(() => new LabelBounds({ valuesPerLabel: 0 })).toThrow(/valuesPerLabel/);
  });
});

describe('foldSeries', () => {
  it('adds up or takes the highest of the values that fold into one series', () => {
    const e = [
      { labels: { tenant: 'acme', skill_group: 'sales' }, value: 2 },
      { labels: { tenant: 'acme', skill_group: OTHER_LABEL }, value: 3 },
      { labels: { tenant: 'acme', skill_group: OTHER_LABEL }, value: 5 },
    ];
    expect(foldSeries(e, 'sum')).toEqual([
      { labels: { tenant: 'acme', skill_group: 'sales' }, value: 2 },
      { labels: { tenant: 'acme', skill_group: OTHER_LABEL }, value: 8 },
    ]);
    expect(foldSeries(e, 'max').map((s) => s.value)).toEqual([2, 5]);
  });
});

describe('knownTenants', () => {
  it('is the served tenants, the tenants of API keys (not the platform) and, when simulating, the simulated ones', () => {
    const apiKeys = parseApiKeys('acme-admin-key-000000001:acme:admin,platform-router-key-0001:*:router');
    expect(knownTenants({ tenants: ['demo'], apiKeys, simulator: false, simTenants: ['sim'] }).sort()).toEqual(['acme', 'demo']);
    expect(knownTenants({ tenants: ['demo'], apiKeys, simulator: true, simTenants: ['sim'] }).sort()).toEqual(['acme', 'demo', 'sim']);
  });
});
