import { describe, expect, it } from 'vitest';
import { checkExpectations } from './expect.js';
import type { Expectation, RunTotals, TickSample } from './types.js';

const base: TickSample = {
  tick: 0,
  level: 0,
  groupLevel: 0,
  pressure: 0,
  top: null,
  levels: { acme: 0 },
  targets: {},
  accepted: 0,
  handled: 0,
  eventsPerSec: 0,
  lagMs: 0,
  lagMessages: 0,
  engineLagMs: 0,
  breakers: {},
  reachable: true,
  leader: true,
  routeP50Us: 0,
  routeP99Us: 0,
  heapMb: 50,
};

/** Ticks 1..n, each built from its tick number. */
const timeline = (n: number, f: (t: number) => Partial<TickSample>): TickSample[] =>
  Array.from({ length: n }, (_, i) => {
    const over = f(i + 1);
    return { ...base, ...over, tick: i + 1, levels: over.levels ?? { acme: over.level ?? 0 } };
  });

const totals: RunTotals = { accepted: 100, rejected: 0, stored: 100, offeredEvents: 10, offeredInMinutes: 10, calls: 10, wallMs: 1 };
const phases = { calm: [0, 10], peak: [10, 20], after: [20, 40] } as const;
const one = (e: Expectation, samples: TickSample[], t: RunTotals = totals) => checkExpectations([e], samples, t, phases)[0]!;

describe('checkExpectations', () => {
  it('level-reaches: counts ticks from the phase start, fails when too late or never', () => {
    const rise = (at: number) => timeline(40, (t) => ({ level: t >= at ? 2 : 0 }));
    const e: Expectation = { kind: 'level-reaches', level: 2, phase: 'peak', withinTicks: 3 };
    expect(one(e, rise(13))).toMatchObject({ pass: true, observed: 'L2 after 3 ticks' });
    expect(one(e, rise(14))).toMatchObject({ pass: false, observed: 'L2 after 4 ticks' });
    expect(one(e, rise(99)).pass).toBe(false);
  });

  it('level-returns: must come back within the bound and stay back', () => {
    const e: Expectation = { kind: 'level-returns', level: 0, after: 'peak', withinTicks: 10 };
    expect(
      one(
        e,
        timeline(40, (t) => ({ level: t > 12 && t <= 25 ? 2 : 0 })),
      ),
    ).toMatchObject({ pass: true, observed: 'at or below L0 for good after 6 ticks' });
    expect(
      one(
        e,
        timeline(40, (t) => ({ level: t > 12 && t <= 25 ? 2 : t === 33 ? 1 : 0 })),
      ).pass,
    ).toBe(false);
    expect(
      one(
        e,
        timeline(40, () => ({ level: 1 })),
      ).pass,
    ).toBe(false);
  });

  it('level-stays-at-most and level-changes-at-most look at the phase only', () => {
    const flappy = timeline(40, (t) => ({ level: t > 20 ? t % 2 : 0 }));
    expect(one({ kind: 'level-stays-at-most', level: 0, phase: 'calm' }, flappy).pass).toBe(true);
    expect(one({ kind: 'level-stays-at-most', level: 0, phase: 'after' }, flappy).pass).toBe(false);
    expect(one({ kind: 'level-changes-at-most', count: 2, phase: 'calm' }, flappy).pass).toBe(true);
    expect(one({ kind: 'level-changes-at-most', count: 2, phase: 'after' }, flappy)).toMatchObject({
      pass: false,
      observed: '20 level changes at most (acme 20)',
    });
    // two tenants stepping down once each is one change per tenant
    const both = timeline(40, (t) => ({ levels: { a: t > 25 ? 0 : 1, b: t > 30 ? 0 : 1 } }));
    expect(one({ kind: 'level-changes-at-most', count: 1, phase: 'after' }, both).pass).toBe(true);
  });

  it('diversions counts diversion channels only, inside the phase', () => {
    const s = timeline(40, (t) => ({
      targets: (t > 10 && t <= 20 ? { 'agent:a': 3, chat: 1, callback: 1 } : { smart_ivr: 5 }) as Record<string, number>,
    }));
    expect(one({ kind: 'diversions', min: 20, phase: 'peak' }, s)).toMatchObject({ pass: true, observed: '20 calls diverted' });
    expect(one({ kind: 'diversions', min: 21, phase: 'peak' }, s).pass).toBe(false);
  });

  it('breaker-reaches and routes-around follow the CTI breaker', () => {
    const s = timeline(40, (t) => {
      const open = t > 12 && t <= 20;
      return {
        breakers: { 'cti:a': open ? 'open' : 'closed' },
        targets: open ? { 'agent:b': 9, ...(t === 15 ? { 'agent:a': 1 } : {}) } : { 'agent:a': 10 },
      };
    });
    expect(one({ kind: 'breaker-reaches', key: 'cti:a', state: 'open', phase: 'peak', withinTicks: 3 }, s).pass).toBe(true);
    expect(one({ kind: 'breaker-reaches', key: 'cti:a', state: 'open', phase: 'peak', withinTicks: 2 }, s).pass).toBe(false);
    expect(one({ kind: 'routes-around', node: 'a', phase: 'peak', afterTicks: 2, maxShare: 0.05 }, s)).toMatchObject({
      pass: true,
      observed: '1 of 73 agent calls to a (1 %)',
    });
    expect(one({ kind: 'routes-around', node: 'a', phase: 'peak', afterTicks: 2, maxShare: 0.01 }, s).pass).toBe(false);
    expect(one({ kind: 'routes-around', node: 'a', phase: 'peak', afterTicks: 0, maxShare: 0.05 }, s).pass).toBe(false);
    expect(one({ kind: 'routes-around', node: 'a', phase: 'calm', afterTicks: 0, maxShare: 0.5 }, s).pass).toBe(false);
  });

  it('lag-reaches and lag-recovers', () => {
    const s = timeline(40, (t) => ({ lagMs: t > 10 && t <= 26 ? 8_000 : 0 }));
    expect(one({ kind: 'lag-reaches', ms: 5_000, phase: 'peak' }, s).pass).toBe(true);
    expect(one({ kind: 'lag-reaches', ms: 5_000, phase: 'calm' }, s).pass).toBe(false);
    expect(one({ kind: 'lag-stays-below', ms: 0, phase: 'calm' }, s).pass).toBe(true);
    expect(one({ kind: 'lag-stays-below', ms: 7_999, phase: 'peak' }, s)).toMatchObject({ pass: false, observed: 'highest lag 8000 ms' });
    expect(one({ kind: 'lag-recovers', ms: 1_000, after: 'peak', withinTicks: 7 }, s).pass).toBe(true);
    expect(one({ kind: 'lag-recovers', ms: 1_000, after: 'peak', withinTicks: 6 }, s).pass).toBe(false);
  });

  it('fail-static needs the outage seen and every call routed; reconciles needs reachable and leading', () => {
    const s = timeline(40, (t) => ({ reachable: !(t > 11 && t <= 22), leader: !(t > 11 && t <= 24), targets: { 'agent:a': 2 } }));
    expect(one({ kind: 'fail-static', phase: 'peak', withinTicks: 2 }, s)).toMatchObject({
      pass: true,
      observed: 'unreachable after 2 ticks; 18 of 18 calls routed while unreachable',
    });
    expect(one({ kind: 'reconciles', after: 'peak', withinTicks: 5 }, s).pass).toBe(true);
    expect(one({ kind: 'reconciles', after: 'peak', withinTicks: 4 }, s).pass).toBe(false);
    const failing = s.map((x) => (x.tick === 15 ? { ...x, targets: { error: 1 } } : x));
    expect(one({ kind: 'fail-static', phase: 'peak', withinTicks: 2 }, failing).pass).toBe(false);
  });

  it('every-call-answered and nothing-lost read the totals', () => {
    const s = timeline(5, () => ({ targets: { 'agent:a': 2 } }));
    expect(one({ kind: 'every-call-answered' }, s).pass).toBe(true);
    expect(
      one(
        { kind: 'every-call-answered' },
        timeline(5, (t) => ({ targets: (t === 3 ? { reject: 1 } : {}) as Record<string, number> })),
      ).pass,
    ).toBe(false);
    expect(one({ kind: 'nothing-lost' }, s).pass).toBe(true);
    expect(one({ kind: 'nothing-lost' }, s, { ...totals, stored: 99 }).pass).toBe(false);
    expect(one({ kind: 'nothing-lost' }, s, { ...totals, offeredInMinutes: 11 }).pass).toBe(false);
  });

  it('memory-bounded compares live-heap readings from the phase end on, so garbage does not count', () => {
    // garbage piles up between readings; the live set grows by 1 MB per 10 ticks
    const grows = timeline(40, (t) => ({ heapMb: 50 + t * 5, ...(t % 10 === 0 ? { liveHeapMb: 50 + t / 10 } : {}) }));
    expect(one({ kind: 'memory-bounded', maxGrowthMb: 3, after: 'calm' }, grows)).toMatchObject({
      pass: true,
      observed: 'live heap 51 MB at 10 s → 54 MB at 40 s (+3 MB)',
    });
    expect(one({ kind: 'memory-bounded', maxGrowthMb: 2, after: 'calm' }, grows).pass).toBe(false);
    expect(
      one(
        { kind: 'memory-bounded', maxGrowthMb: 100, after: 'peak' },
        timeline(40, () => ({})),
      ).observed,
    ).toMatch(/fewer than 2 live-heap readings/);
  });

  it('an unknown phase fails the check and names the phase', () => {
    const c = one(
      { kind: 'diversions', min: 0, phase: 'nope' },
      timeline(3, () => ({})),
    );
    expect(c.pass).toBe(false);
    expect(c.observed).toMatch(/phase "nope"/);
  });
});
