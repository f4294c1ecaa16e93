import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../adapters/clock.js';
import { BreakerRegistry } from './breakers.js';
import { PendingDecisions } from './decisions.js';

describe('BreakerRegistry.applyRemote', () => {
  it('applies newer peer states, keeps its own probes apart, and ignores older or identical ones', () => {
    const clock = new ManualClock(1_000);
    const a = new BreakerRegistry(['cti:x'], [], { clock, configFor: () => ({ jitter: 0, openBaseMs: 1_000 }) });
    const b = new BreakerRegistry(['cti:x'], [], { clock, configFor: () => ({ jitter: 0, openBaseMs: 1_000 }) });
    clock.advance(10);
    a.get('cti:x')!.forceOpen(5_000, 'maintenance');
    const remote = a.get('cti:x')!.machineState;
    expect(b.applyRemote('cti:x', remote, 'A', 'B')).toBe(true);
    expect(b.stateOf('cti:x')).toBe('forced-open');
    expect(b.applyRemote('cti:x', remote, 'A', 'B')).toBe(false);
    expect(b.applyRemote('cti:x', { ...remote, since: 0 }, 'A', 'B')).toBe(false);
    expect(b.applyRemote('cti:x', { name: 'bogus' }, 'A', 'B')).toBe(false);
    expect(b.applyRemote('nope', remote, 'A', 'B')).toBe(false);
  });

  it('settles every instance on the same state when two transitions share a millisecond', () => {
    fc.assert(
      fc.property(fc.constantFrom('open', 'closed'), fc.constantFrom('open', 'closed'), (ma, mb) => {
        const clock = new ManualClock(5_000);
        const regs = [0, 1].map(() => new BreakerRegistry(['k'], [], { clock }));
        regs[0]!.get('k')!.forceOpen(1_000, 'a');
        if (mb === 'open') regs[1]!.get('k')!.forceOpen(2_000, 'b');
        else regs[1]!.get('k')!.forceClose(2_000, 'b');
        if (ma === 'closed') regs[0]!.get('k')!.forceClose(1_000, 'a2');
        const [sa, sb] = regs.map((r) => r.get('k')!.machineState);
        regs[0]!.applyRemote('k', sb, 'B', 'A');
        regs[1]!.applyRemote('k', sa, 'A', 'B');
        const [fa, fb] = regs.map((r) => r.get('k')!.machineState);
        expect([fa!.name, (fa as { until?: number }).until]).toEqual([fb!.name, (fb as { until?: number }).until]);
      }),
    );
  });
});

describe('PendingDecisions', () => {
  type E = { decisionId: string; ts: number; state: number };
  const entry = (p: PendingDecisions<E>, ts: number, tenant = 't') => ({ decisionId: p.nextId(p.pool(tenant)), ts, state: 0 });
  const add = (p: PendingDecisions<E>, e: E, tenant = 't') => p.add(p.pool(tenant), e);

  it('expires by age, evicts what the ring overwrites, and reports each eviction once', () => {
    const evicted: string[] = [];
    const p = new PendingDecisions<E>('x-', { ttlMs: 100, max: 128, onEvict: (v) => evicted.push(v.decisionId) });
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      const e = entry(p, i);
      ids.push(e.decisionId);
      add(p, e);
    }
    expect(evicted).toEqual([ids[0], ids[1]]);
    expect(p.take(ids[0]!, 100)).toBeUndefined();
    expect(p.take(ids[5]!, 104)).toMatchObject({ ts: 5 });
    expect(p.take(ids[5]!, 104)).toBeUndefined(); // settled: a repeat
    expect(p.find(ids[5]!, 104)).toMatchObject({ ts: 5, state: 2 });
    expect(p.take(ids[6]!, 106)).toBeUndefined(); // past its lifetime
    expect(evicted).toEqual([ids[0], ids[1]]);
    // Awaiting: 2..129 without 5; those added at ≤ 50 ms are 100 ms old at 150 and become unknown (once).
    expect(p.expire(150)).toBe(48);
    expect(evicted).toHaveLength(50);
    expect(evicted).toContain(ids[6]);
    expect(p.stats()).toEqual({ pending: 79, evicted: 2, tenantEvicted: 2, expired: 48 });
    expect(p.peek(ids[51]!)).toMatchObject({ ts: 51 });
  });

  it('knows only ids it issued', () => {
    fc.assert(
      fc.property(fc.string(), (junk) => {
        const p = new PendingDecisions<E>('ab-', { ttlMs: 1_000, max: 8, onEvict: () => {} });
        const e = entry(p, 0);
        add(p, e);
        fc.pre(junk !== e.decisionId);
        expect(p.take(junk, 0)).toBeUndefined();
        expect(p.peek(e.decisionId)).toBeDefined();
      }),
    );
  });

  it('keeps one ring per tenant: a tenant that floods evicts only its own entries; past the total, the largest tenant pays', () => {
    const evicted: string[] = [];
    const p = new PendingDecisions<E>('x-', { ttlMs: 1_000, max: 300, maxPerTenant: 200, onEvict: (v) => evicted.push(v.decisionId) });
    const quiet = entry(p, 0, 'quiet');
    add(p, quiet, 'quiet');
    const flood: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      const e = entry(p, 1, 'loud');
      flood.push(e.decisionId);
      add(p, e, 'loud');
    }
    expect(p.peek(quiet.decisionId)).toBe(quiet);
    expect(evicted).toEqual(flood.slice(0, 800));
    expect(p.take(flood[999]!, 1)).toMatchObject({ ts: 1 });
    expect(p.stats()).toMatchObject({ pending: 200, tenantEvicted: 800 });
    // A third tenant: the total (300) is reached, and the tenant holding most gives up its oldest.
    for (let i = 0; i < 150; i++) add(p, entry(p, 2, 'third'), 'third');
    expect(p.size).toBe(300);
    expect(p.peek(quiet.decisionId)).toBe(quiet);
    // The settled entry of flood[999] still takes room (a repeat of it is recognised): 51 awaiting ones go.
    expect(p.stats().evicted).toBe(851);
    expect(p.take(quiet.decisionId, 2)).toBe(quiet);
    expect(p.expire(2_000)).toBe(298);
  });
});
