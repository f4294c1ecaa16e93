import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { DEFAULT_POLICY } from './defaults.js';
import { validatePolicy } from './schema.js';

function messageOf(input: unknown): string {
  try {
    validatePolicy(input);
  } catch (e) {
    if (isSluiceError(e) && e.code === 'SLUICE_ERR_POLICY_INVALID') return e.message;
    throw e;
  }
  throw new Error('expected validation to fail');
}

const clone = (): { levels: Record<string, Record<string, unknown>> } => structuredClone(DEFAULT_POLICY) as never;

describe('policy schema', () => {
  it('accepts the default table and returns a deep-frozen copy', () => {
    const p = validatePolicy(structuredClone(DEFAULT_POLICY));
    expect(p).toEqual(DEFAULT_POLICY);
    expect(Object.isFrozen(p.levels.L2.targets)).toBe(true);
  });

  it('matches docs/architecture.md#control-loop: L1 offers smart IVR to low priority, L3 sends all but vip/high to keypad IVR with a ticket', () => {
    expect(DEFAULT_POLICY.levels.L0.backupActive).toBe(false);
    expect(DEFAULT_POLICY.levels.L1.targets).toEqual(['agent', 'smart_ivr']);
    expect(DEFAULT_POLICY.levels.L1.agentPriorities).not.toContain('low');
    expect(DEFAULT_POLICY.levels.L2.admission).not.toBeNull();
    expect(DEFAULT_POLICY.levels.L3).toMatchObject({
      targets: ['agent', 'keypad_ivr'],
      agentPriorities: ['vip', 'high'],
      ticketOnDivert: true,
    });
  });

  it('names the field of a bad number, a missing field, an unknown field and a bad enum', () => {
    const p = clone();
    p.levels.L2!.admission = { ratePerSec: -1, burst: 5 };
    expect(messageOf(p)).toMatch(/levels\.L2\.admission\.ratePerSec must be >= 0/);
    const q = clone();
    delete q.levels.L1!.backupActive;
    q.levels.L0!.colour = 'red';
    q.levels.L3!.targets = ['agent', 'fax'];
    const m = messageOf(q);
    expect(m).toMatch(/levels\.L1\.backupActive is required/);
    expect(m).toMatch(/levels\.L0\.colour is not a known field/);
    expect(m).toMatch(/levels\.L3\.targets\[1\] must be one of agent, smart_ivr, chat, callback, keypad_ivr/);
  });

  it('rejects duplicates, empty target lists, a missing level and a non-object', () => {
    const p = clone();
    p.levels.L1!.targets = ['agent', 'agent'];
    expect(messageOf(p)).toMatch(/levels\.L1\.targets must not repeat items/);
    const q = clone();
    q.levels.L1!.targets = [];
    expect(messageOf(q)).toMatch(/levels\.L1\.targets must NOT have fewer than 1 items/);
    const r = clone();
    delete r.levels.L3;
    expect(messageOf(r)).toMatch(/levels\.L3 is required/);
    expect(messageOf(42)).toMatch(/policy must be object/);
  });

  it('accepts admission null or an object, nothing else', () => {
    const p = clone();
    p.levels.L2!.admission = null;
    expect(() => validatePolicy(p)).not.toThrow();
    p.levels.L2!.admission = 'fast';
    expect(messageOf(p)).toMatch(/levels\.L2\.admission must be object,null/);
  });
});
