import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { isSluiceError } from '../../core/errors.js';
import { DEFAULT_POLICY } from './defaults.js';
import { InMemoryPolicyStore, effectivePolicy } from './store.js';
import type { TenantPolicy } from './schema.js';

function variant(rate: number): TenantPolicy {
  const p = structuredClone(DEFAULT_POLICY) as { levels: Record<string, { admission: unknown }> };
  p.levels.L2!.admission = { ratePerSec: rate, burst: rate * 2 };
  return p as unknown as TenantPolicy;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isSluiceError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('InMemoryPolicyStore', () => {
  it('falls back to the default policy for a tenant without one', async () => {
    const store = new InMemoryPolicyStore(new ManualClock());
    expect(effectivePolicy(await store.get('acme'))).toBe(DEFAULT_POLICY);
  });

  it('keeps the current and the previous version, numbering upwards', async () => {
    const clock = new ManualClock(1_000);
    const store = new InMemoryPolicyStore(clock);
    await store.put('acme', variant(5), { author: 'ops' });
    clock.advance(1_000);
    const r = await store.put('acme', variant(7), { expectedVersion: 1 });
    expect(r.current).toMatchObject({ version: 2, updatedAt: 2_000 });
    expect(r.previous).toMatchObject({ version: 1, author: 'ops' });
    expect(effectivePolicy(r).levels.L2.admission).toEqual({ ratePerSec: 7, burst: 14 });
    expect(store.tenants()).toEqual(['acme']);
  });

  it('rolls back by publishing the previous table as a new version', async () => {
    const store = new InMemoryPolicyStore(new ManualClock());
    await store.put('acme', variant(5));
    await store.put('acme', variant(7));
    const r = await store.rollback('acme', { author: 'ops' });
    expect(r.current.version).toBe(3);
    expect(r.current.policy.levels.L2.admission).toEqual({ ratePerSec: 5, burst: 10 });
    expect(r.previous?.version).toBe(2);
  });

  it('refuses invalid tables, stale versions and rollbacks with nothing to go back to', async () => {
    const store = new InMemoryPolicyStore(new ManualClock());
    expect(await codeOf(store.put('acme', { levels: {} }))).toBe('SLUICE_ERR_POLICY_INVALID');
    expect(await codeOf(store.rollback('acme'))).toBe('SLUICE_ERR_POLICY_NO_PREVIOUS');
    await store.put('acme', variant(5), { expectedVersion: 0 });
    expect(await codeOf(store.put('acme', variant(6), { expectedVersion: 0 }))).toBe('SLUICE_ERR_POLICY_VERSION_CONFLICT');
    expect(await codeOf(store.rollback('acme'))).toBe('SLUICE_ERR_POLICY_NO_PREVIOUS');
    expect((await store.get('acme'))?.current.version).toBe(1);
  });

  it('announces every published version', async () => {
    const store = new InMemoryPolicyStore(new ManualClock());
    const seen: number[] = [];
    const off = store.on('change', (r) => seen.push(r.current.version));
    await store.put('acme', variant(5));
    off();
    await store.put('acme', variant(6));
    expect(seen).toEqual([1]);
  });
});
