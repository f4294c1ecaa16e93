import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BreakerStateName } from './breaker/machine.js';
import { decide } from './router.js';
import type { RouteState } from './router.js';
import { CHANNEL_BREAKER_KEYS, candidatesFor, compileTenant } from './routing-table.js';
import type { CompiledTenant } from './routing-table.js';
import type { LevelPolicy, TenantPolicy } from './policy/schema.js';
import { validatePolicy } from './policy/schema.js';
import { PRIORITIES, SAFETY_ORDER } from './types.js';
import type { Channel, Level, Priority } from './types.js';

const levelPolicy: fc.Arbitrary<LevelPolicy> = fc.record({
  targets: fc.shuffledSubarray([...SAFETY_ORDER], { minLength: 1 }),
  agentPriorities: fc.subarray([...PRIORITIES]),
  admission: fc.constant(null),
  backupActive: fc.boolean(),
  slowNonCritical: fc.boolean(),
  ticketOnDivert: fc.boolean(),
});
const policy: fc.Arbitrary<TenantPolicy> = fc
  .tuple(levelPolicy, levelPolicy, levelPolicy, levelPolicy)
  .map(([L0, L1, L2, L3]) => validatePolicy({ levels: { L0, L1, L2, L3 } }));
const stateArb = fc.constantFrom<BreakerStateName>('closed', 'open', 'half-open', 'forced-open', 'forced-closed');
const KEYS = ['cti:a', 'cti:b', ...Object.values(CHANNEL_BREAKER_KEYS)];
const keyOf = (c: Channel): string[] => (c === 'agent' ? ['cti:a', 'cti:b'] : [CHANNEL_BREAKER_KEYS[c]]);
const blocked = (s: BreakerStateName): boolean => s === 'open' || s === 'forced-open';

describe('decide (properties)', () => {
  it('never picks an open or excluded breaker, picks the first available candidate, and rejects only when keypad IVR is unavailable', () => {
    fc.assert(
      fc.property(
        policy,
        fc.array(stateArb, { minLength: KEYS.length, maxLength: KEYS.length }),
        fc.record({
          tenantLevel: fc.constantFrom<Level>(0, 1, 2, 3),
          groupLevel: fc.option(fc.constantFrom<Level>(0, 1, 2, 3), { nil: undefined }),
          priority: fc.constantFrom<Priority>(...PRIORITIES),
          admitted: fc.boolean(),
          exclude: fc.subarray(KEYS, { maxLength: 3 }),
          callId: fc.string({ maxLength: 12 }),
        }),
        (pol, states, r) => {
          const t = compileTenant({ tenant: 'x', policy: pol, cti: { primary: 'a', backup: 'b' } });
          t.level = r.tenantLevel;
          if (r.groupLevel !== undefined) t.groups.set('g', r.groupLevel);
          const byKey = new Map(KEYS.map((k, i) => [k, states[i]!]));
          const state: RouteState = { tenants: new Map<string, CompiledTenant>([['x', t]]), breakerState: (k) => byKey.get(k) ?? 'closed' };
          const d = decide(
            { tenant: 'x', skillGroup: 'g', priority: r.priority, admitted: r.admitted, exclude: r.exclude, callId: r.callId },
            state,
          );
          const level = Math.max(r.tenantLevel, r.groupLevel ?? 0) as Level;
          expect(d.level).toBe(level);
          const usable = (k: string): boolean => !r.exclude.includes(k) && !blocked(byKey.get(k)!);
          if (d.target !== 'reject') {
            expect(usable(d.breakerKey)).toBe(true);
            expect(d.probe).toBe(byKey.get(d.breakerKey) === 'half-open');
            if (d.target === 'agent') expect(['a', 'b']).toContain(d.ctiNode);
          }
          // reference model: the first candidate with a usable breaker
          const lp = pol.levels[`L${level}` as const];
          const { candidates } = candidatesFor(lp, r.priority, r.admitted);
          const expected = candidates.find((c) => keyOf(c).some(usable)) ?? 'reject';
          expect(d.target).toBe(expected);
          if (d.target === 'reject') expect(usable(CHANNEL_BREAKER_KEYS.keypad_ivr)).toBe(false);
          if (d.target === 'agent' && !lp.backupActive && usable('cti:a')) expect(d.ctiNode).toBe('a');
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('builds candidates as: allowed targets in policy order, then every safer channel', () => {
    const lp: LevelPolicy = {
      targets: ['chat', 'agent'],
      agentPriorities: ['vip'],
      admission: null,
      backupActive: false,
      slowNonCritical: false,
      ticketOnDivert: false,
    };
    expect(candidatesFor(lp, 'vip', true).candidates).toEqual(['chat', 'agent', 'callback', 'keypad_ivr']);
    expect(candidatesFor(lp, 'low', true).candidates).toEqual(['chat', 'callback', 'keypad_ivr']);
    expect(candidatesFor(lp, 'vip', false).candidates).toEqual(['chat', 'callback', 'keypad_ivr']);
    expect(candidatesFor({ ...lp, targets: ['agent'] }, 'low', true).candidates).toEqual(['smart_ivr', 'chat', 'callback', 'keypad_ivr']);
  });
});
