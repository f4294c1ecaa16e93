import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from './policy/defaults.js';
import { CtiVariant, compileTenant, ctiBreakerKey, planDecision, planIndex } from './routing-table.js';

describe('routing table', () => {
  const t = compileTenant({ tenant: 'acme', policy: DEFAULT_POLICY, cti: { primary: 'a' } });

  it('compiles one plan per (level, priority, admitted) with the escape chain appended', () => {
    expect(t.plans).toHaveLength(4 * 4 * 2);
    expect(t.plans[planIndex(1, 3, true)]!.candidates).toEqual(['smart_ivr', 'chat', 'callback', 'keypad_ivr']);
    expect(t.plans[planIndex(3, 0, true)]!.candidates).toEqual(['agent', 'keypad_ivr']);
    expect(t.plans[planIndex(2, 2, true)]).toMatchObject({ candidates: ['chat', 'callback', 'keypad_ivr'], allowedCount: 2 });
    expect(t).toMatchObject({ primaryKey: ctiBreakerKey('a'), backup: undefined, backupKey: undefined, level: 0 });
  });

  it('builds each decision once and hands out the same frozen object', () => {
    const plan = t.plans[planIndex(3, 2, true)]!;
    const d = planDecision(t, plan, 0, 0, false, false);
    expect(d).toMatchObject({ target: 'keypad_ivr', ticket: true, breakerKey: 'channel:keypad_ivr' });
    expect(planDecision(t, plan, 0, 0, false, false)).toBe(d);
    expect(Object.isFrozen(d)).toBe(true);
    expect(planDecision(t, plan, 0, 0, true, true).reason).toBe(
      'L3: normal → keypad_ivr (policy) [half-open probe] [skill group not tracked: tenant level]',
    );
    expect(planDecision(t, plan, plan.candidates.length, 0, false, false)).toMatchObject({ target: 'reject', ticket: false });
  });

  it('writes reasons that say which CTI node and why', () => {
    const plan = t.plans[planIndex(0, 2, true)]!;
    expect(planDecision(t, plan, 0, CtiVariant.Primary, false, false)).toMatchObject({
      ctiNode: 'a',
      reason: 'L0: normal → agent via primary CTI a (policy)',
    });
  });
});
