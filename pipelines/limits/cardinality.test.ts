import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../events/types.js';
import { CardinalityLimiter, DEFAULT_CARDINALITY_LIMITS, type CardinalityRefusal } from './cardinality.js';

const T = Date.UTC(2026, 10, 23, 9, 0);
let n = 0;
const call = (tenant: string, skillGroup: string): TelemetryEvent => ({
  v: 1,
  tenant,
  source: 'skillgroup',
  id: `e${++n}`,
  ts: T,
  body: { skillGroup, callId: `c${n}`, type: 'OFFERED' },
});
const agent = (tenant: string, agentId: string, skillGroups?: string[]): TelemetryEvent => ({
  v: 1,
  tenant,
  source: 'agent',
  id: `e${++n}`,
  ts: T,
  body: { agentId, state: 'AVAILABLE', ...(skillGroups && { skillGroups }) },
});
const ext = (tenant: string, extension: string): TelemetryEvent => ({
  v: 1,
  tenant,
  source: 'extension',
  id: `e${++n}`,
  ts: T,
  body: { extension, state: 'IDLE' },
});

describe('CardinalityLimiter', () => {
  it("refuses a tenant's new names past its limit, naming tenant, kind and limit, while known names and other tenants flow", () => {
    const refused: CardinalityRefusal[] = [];
    const l = new CardinalityLimiter({ limits: { skillGroup: 3 }, onRefused: (r) => refused.push(r) });
    for (const sg of ['a', 'b', 'c']) expect(l.admit(call('acme', sg), T)).toBeUndefined();
    const r = l.admit(call('acme', 'd'), T);
    expect(r).toMatchObject({ code: 'cardinality-limit', tenant: 'acme', kind: 'skillGroup', limit: 3 });
    expect(r!.reason).toMatch(/^tenant acme is at its limit of 3 skill groups .*new skill group "d" refused$/);
    expect(refused).toEqual([r]);
    // Known names keep flowing; another tenant has its own count.
    expect(l.admit(call('acme', 'b'), T + 1)).toBeUndefined();
    for (const sg of ['d', 'e', 'f']) expect(l.admit(call('globex', sg), T)).toBeUndefined();
    expect(l.counts()).toEqual([
      { tenant: 'acme', kind: 'skillGroup', names: 3 },
      { tenant: 'globex', kind: 'skillGroup', names: 3 },
    ]);
  });

  it('counts agents, extensions and the skill groups an agent lists, each against its own limit', () => {
    const l = new CardinalityLimiter({ limits: { skillGroup: 2, agent: 2, extension: 1 } });
    expect(l.admit(agent('acme', 'a1', ['sales', 'care']), T)).toBeUndefined();
    expect(l.admit(agent('acme', 'a2'), T)).toBeUndefined();
    expect(l.admit(agent('acme', 'a3'), T)).toMatchObject({ kind: 'agent', limit: 2 });
    // A known agent bringing a third skill group is refused whole: its new skill group would pass the limit.
    expect(l.admit(agent('acme', 'a1', ['sales', 'billing']), T)).toMatchObject({
      kind: 'skillGroup',
      limit: 2,
      reason: expect.stringContaining('"billing"'),
    });
    expect(l.admit(call('acme', 'billing'), T)).toMatchObject({ kind: 'skillGroup' });
    expect(l.admit(call('acme', 'care'), T)).toBeUndefined();
    expect(l.admit(ext('acme', '2001'), T)).toBeUndefined();
    expect(l.admit(ext('acme', '2002'), T)).toMatchObject({ kind: 'extension', limit: 1, reason: expect.stringContaining('1 extensions') });
    expect(l.size).toBe(2 + 2 + 1);
  });

  it('refuses an event whose new names would not all fit, counting none of them', () => {
    const l = new CardinalityLimiter({ limits: { skillGroup: 3 } });
    expect(l.admit(call('acme', 'a'), T)).toBeUndefined();
    // A new agent with three new skill groups (one listed twice): one too many, so nothing of it is counted.
    expect(l.admit(agent('acme', 'a1', ['b', 'c', 'c', 'd']), T)).toMatchObject({
      kind: 'skillGroup',
      reason: expect.stringContaining('"b"'),
    });
    expect(l.counts()).toEqual([{ tenant: 'acme', kind: 'skillGroup', names: 1 }]);
    expect(l.admit(agent('acme', 'a1', ['b', 'c', 'c']), T)).toBeUndefined();
    expect(l.counts()).toEqual([
      { tenant: 'acme', kind: 'skillGroup', names: 3 },
      { tenant: 'acme', kind: 'agent', names: 1 },
    ]);
  });

  it('lets idle names leave the count, so a tenant whose names rotate is not locked out; a name seen again stays', () => {
    const l = new CardinalityLimiter({ limits: { skillGroup: 2 }, idleMs: 60_000 });
    l.admit(call('acme', 'old'), T);
    l.admit(call('acme', 'kept'), T);
    expect(l.admit(call('acme', 'new'), T + 30_000)).toBeDefined();
    expect(l.admit(call('acme', 'kept'), T + 30_000)).toBeUndefined();
    // `old` was last seen at T: idle past 60 s at T + 60 001; `kept` was seen again at T + 30 000.
    expect(l.admit(call('acme', 'new'), T + 60_000)).toBeDefined();
    expect(l.admit(call('acme', 'new'), T + 60_001)).toBeUndefined();
    expect(l.admit(call('acme', 'other'), T + 60_002)).toBeDefined();
    expect(l.counts()).toEqual([{ tenant: 'acme', kind: 'skillGroup', names: 2 }]);
  });

  it('forgets tenants whose names all went idle, on its periodic sweep', () => {
    const l = new CardinalityLimiter({ idleMs: 60_000 });
    for (let i = 0; i < 100; i++) l.admit(ext(`t${i}`, 'x'), T);
    expect(l.counts()).toHaveLength(100);
    l.admit(ext('acme', 'x'), T + 120_000);
    expect(l.counts()).toEqual([{ tenant: 'acme', kind: 'extension', names: 1 }]);
    expect(l.size).toBe(1);
  });

  it('holds thousands of new names from one tenant to the limit (the finding, small)', () => {
    const l = new CardinalityLimiter({ limits: { skillGroup: 100 } });
    let refusedCount = 0;
    for (let i = 0; i < 5_000; i++) if (l.admit(call('noisy', `sg-${i}`), T + i)) refusedCount++;
    expect(refusedCount).toBe(4_900);
    expect(l.size).toBe(100);
    expect(l.admit(call('quiet', 'sales'), T + 5_000)).toBeUndefined();
  });

  it('does not count interval reports, has defaults far above a real contact center, and validates its options', () => {
    const l = new CardinalityLimiter({ limits: { skillGroup: 1 } });
    const report: TelemetryEvent = {
      v: 1,
      tenant: 'acme',
      source: 'interval',
      id: 'r',
      ts: T,
      body: { scope: 'skillgroup', key: 'x', intervalStart: T, intervalSec: 900 },
    };
    expect(l.admit(report, T)).toBeUndefined();
    expect(l.size).toBe(0);
    expect(DEFAULT_CARDINALITY_LIMITS).toEqual({ skillGroup: 1_000, agent: 20_000, extension: 20_000 });
    expect(new CardinalityLimiter().limits).toEqual(DEFAULT_CARDINALITY_LIMITS);
    expect(() => new CardinalityLimiter({ limits: { agent: 0 } })).toThrow(/agent limit must be an integer ≥ 1/);
    expect(() => new CardinalityLimiter({ idleMs: -1 })).toThrow(/idleMs/);
  });
});
