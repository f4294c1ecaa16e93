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

  it('accepts ctiNodes and tuning, and refuses bad nodes naming each field', () => {
    const ok = {
      ...clone(),
      ctiNodes: [
        { name: 'sbc-east', weight: 3, role: 'primary' },
        { name: 'sbc-west', weight: 1, role: 'primary' },
        { name: 'dr.site', weight: 1, role: 'backup' },
      ],
      tuning: { thresholds: [0.4, 0.6, 0.8], hysteresis: 0.05, holdMs: 10_000, pressure: { targetWaitMs: 30_000, weights: { trunk: 4 } } },
    };
    expect(validatePolicy(ok).ctiNodes?.map((n) => n.name)).toEqual(['sbc-east', 'sbc-west', 'dr.site']);
    const bad = {
      ...clone(),
      ctiNodes: [
        { name: 'a', weight: 0, role: 'primary' },
        { name: 'b@x', weight: 1, role: 'primary' },
        { name: 'c', weight: 1, role: 'standby' },
        { name: 'd', weight: 1 },
      ],
    };
    const m = messageOf(bad);
    expect(m).toMatch(/ctiNodes\[0\]\.weight must be > 0/);
    expect(m).toMatch(/ctiNodes\[1\]\.name must match pattern/);
    expect(m).toMatch(/ctiNodes\[2\]\.role must be one of primary, backup/);
    expect(m).toMatch(/ctiNodes\[3\]\.role is required/);
    const many = Array.from({ length: 9 }, (_, i) => ({ name: `n${i}`, weight: 1, role: 'primary' }));
    expect(messageOf({ ...clone(), ctiNodes: many })).toMatch(/ctiNodes must NOT have more than 8 items/);
    expect(messageOf({ ...clone(), ctiNodes: [] })).toMatch(/ctiNodes must NOT have fewer than 1 items/);
    const twice = [
      { name: 'a', weight: 1, role: 'primary' },
      { name: 'a', weight: 2, role: 'backup' },
    ];
    expect(messageOf({ ...clone(), ctiNodes: twice })).toMatch(/ctiNodes\[1\]\.name repeats the CTI node a/);
    expect(messageOf({ ...clone(), ctiNodes: [{ name: 'b', weight: 1, role: 'backup' }] })).toMatch(
      /ctiNodes must name at least one node with role primary/,
    );
  });

  it("refuses tuning with the level controller's and the pressure model's own checks, naming the field", () => {
    const tuned = (tuning: unknown) => ({ ...clone(), tuning });
    expect(messageOf(tuned({ thresholds: [0.7, 0.5, 0.9] }))).toMatch(/tuning\.thresholds must be three strictly increasing pressures/);
    expect(messageOf(tuned({ thresholds: [0.5, 0.7] }))).toMatch(/tuning\.thresholds must NOT have fewer than 3 items/);
    expect(messageOf(tuned({ hysteresis: 0.6 }))).toMatch(/tuning\.hysteresis must be < tuning\.thresholds\[0\] \(0\.5\)/);
    expect(messageOf(tuned({ holdMs: 600_000 }))).toMatch(/tuning\.holdMaxMs must be ≥ tuning\.holdMs/);
    expect(messageOf(tuned({ escalateTicks: 1.5 }))).toMatch(/tuning\.escalateTicks must be integer/);
    expect(messageOf(tuned({ colour: 1 }))).toMatch(/tuning\.colour is not a known field/);
    expect(messageOf(tuned({ pressure: { weights: { trunk: -1 } } }))).toMatch(
      /tuning\.pressure\.weights\.trunk must be a finite number ≥ 0/,
    );
    expect(messageOf(tuned({ pressure: { weights: { vibes: 1 } } }))).toMatch(/tuning\.pressure\.weights\.vibes is not a known field/);
    expect(messageOf(tuned({ pressure: { trunkLow: 0.9, trunkHigh: 0.8 } }))).toMatch(
      /tuning\.pressure\.trunkHigh must be > tuning\.pressure\.trunkLow/,
    );
    expect(messageOf(tuned({ pressure: { targetWaitMs: 0 } }))).toMatch(/tuning\.pressure\.targetWaitMs must be a finite number > 0/);
    expect(messageOf(tuned({ pressure: { dominant: ['cti', 'fax'] } }))).toMatch(/tuning\.pressure\.dominant\[1\] must be one of/);
    // A target alone brings its ramp along (longest wait full at 3×), as the service-level setting does.
    expect(() => validatePolicy(tuned({ pressure: { targetWaitMs: 90_000 } }))).not.toThrow();
  });
});
