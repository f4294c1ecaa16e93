/**
 * Level scopes stay bounded per tenant and idle ones go (issue 14, point 3,
 * control side): thousands of skill-group names must not grow the control
 * loop's state without bound, nor cost another tenant its routing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runFor } from '../../adapters/clock.js';
import { calm, harness, overloaded } from '../testing/harness.js';
import type { Harness } from '../testing/harness.js';
import type { QueueSnapshot } from '../../core/messages.js';
import { ScopeBook } from './scopes.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.svc.stop();
  h = undefined;
});

const names = (n: number, prefix = 'sg') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const groupsOf = (svc: Harness['svc'], tenant: string) =>
  svc
    .state(tenant)
    .levels.filter((l) => l.skillGroup !== undefined)
    .map((l) => l.skillGroup!);

describe('ScopeBook', () => {
  it('tracks up to the bound per tenant, counts refusals, and drops only idle groups that nothing keeps', () => {
    const book = new ScopeBook({ maxGroupsPerTenant: 3, idleMs: 1_000 });
    expect(['a', 'b', 'c', 'd'].map((g) => book.admit('acme', g, 0))).toEqual([true, true, true, false]);
    expect(book.admit('globex', 'a', 0)).toBe(true);
    expect(book.admit('acme', 'a', 900)).toBe(true);
    const dropped = book.sweep(1_000, (s) => s.skillGroup === 'b');
    expect(dropped).toEqual([
      { tenant: 'acme', skillGroup: 'c' },
      { tenant: 'globex', skillGroup: 'a' },
    ]);
    expect(book.stats()).toEqual({ tracked: 2, refused: 1, evicted: 2 });
    expect(book.admit('acme', 'd', 1_000)).toBe(true);
    expect(() => new ScopeBook({ maxGroupsPerTenant: 0 })).toThrow(/maxSkillGroupsPerTenant/);
  });
});

describe('level scopes in the control service', () => {
  it('stays bounded under thousands of skill-group names, and another tenant keeps its own scopes and targets', async () => {
    h = harness({ tenants: ['acme', 'globex'], scopes: { maxGroupsPerTenant: 50, idleMs: 60_000 } });
    const { svc, clock, view } = h;
    const flood = (at: number): QueueSnapshot[] => [...names(3_000).map((g) => overloaded('acme', g, at)), calm('globex', 'sales', at)];
    view.set(flood(clock.now()));
    await svc.start();
    for (let t = 0; t < 3; t++) {
      view.set(flood(clock.now()));
      await runFor(clock, 1_000);
    }
    expect(groupsOf(svc, 'acme').length).toBeLessThanOrEqual(50);
    expect(svc.state('acme').signals.length).toBeLessThanOrEqual(51);
    expect(svc.stats().scopes.refused).toBeGreaterThan(0);
    expect(groupsOf(svc, 'globex')).toEqual(['sales']);
    // Routing thousands of unknown group names creates nothing either.
    for (const g of names(5_000, 'call')) svc.route({ tenant: 'acme', callId: g, skillGroup: g, priority: 'normal' });
    expect(groupsOf(svc, 'acme').length).toBeLessThanOrEqual(50);
    expect(svc.route({ tenant: 'globex', callId: 'g1', skillGroup: 'sales', priority: 'vip' })).toMatchObject({
      target: 'agent',
      level: 0,
    });
  });

  it('drops skill groups absent from the snapshots for the idle time at L0 without a pin, and keeps pinned ones', async () => {
    h = harness({ tenants: ['acme'], scopes: { maxGroupsPerTenant: 100, idleMs: 60_000 } });
    const { svc, clock, view } = h;
    const some = (at: number) => [...names(80).map((g) => calm('acme', g, at)), calm('acme', 'care', at)];
    view.set(some(clock.now()));
    await svc.start();
    await runFor(clock, 2_000);
    expect(groupsOf(svc, 'acme')).toHaveLength(81);
    svc.pin({ tenant: 'acme', skillGroup: 'sg-7' }, 2, 10 * 60_000, 'storm');
    // Only 'care' keeps reporting from now on.
    for (let t = 0; t < 150; t++) {
      view.set([calm('acme', 'care', clock.now())]);
      await runFor(clock, 1_000);
    }
    expect(groupsOf(svc, 'acme').sort()).toEqual(['care', 'sg-7']);
    expect(svc.stats().scopes).toMatchObject({ tracked: 2, evicted: 79 });
    // A new name can be tracked again, and a pin of a new group is refused once the bound is reached.
    view.set([...names(98, 'new').map((g) => calm('acme', g, clock.now())), calm('acme', 'care', clock.now())]);
    await runFor(clock, 1_000);
    expect(groupsOf(svc, 'acme')).toHaveLength(100);
    expect(() => svc.pin({ tenant: 'acme', skillGroup: 'one-more' }, 1, 60_000, 'x')).toThrow(/tracks 100 skill groups already/);
  });
});
