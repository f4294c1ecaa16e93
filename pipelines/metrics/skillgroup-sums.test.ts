import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SkillGroupBody } from '../events/types.js';
import { addSkillGroupEvent, emptySkillGroupSums, mergeSkillGroupSums, type SkillGroupSums } from './skillgroup-sums.js';

const thresholds = { serviceLevelMs: 20_000, shortAbandonMs: 5_000 };
const sumOf = (events: SkillGroupBody[]): SkillGroupSums => events.reduce(addSkillGroupEvent, emptySkillGroupSums(thresholds));

const eventArb: fc.Arbitrary<SkillGroupBody> = fc.record(
  {
    skillGroup: fc.constant('sales'),
    callId: fc.string({ minLength: 1, maxLength: 4 }),
    type: fc.constantFrom('OFFERED', 'ANSWERED', 'ABANDONED', 'TRANSFERRED', 'OVERFLOWED', 'COMPLETED'),
    waitMs: fc.integer({ min: 0, max: 120_000 }),
    talkMs: fc.integer({ min: 0, max: 600_000 }),
    holdMs: fc.integer({ min: 0, max: 60_000 }),
    acwMs: fc.integer({ min: 0, max: 60_000 }),
    reason: fc.constantFrom('timeout', 'key', 'empty', 'blind'),
  },
  { requiredKeys: ['skillGroup', 'callId', 'type'] },
);

describe('SkillGroupSums', () => {
  it('adds events without changing the sums it was given', () => {
    const empty = emptySkillGroupSums(thresholds);
    const frozen = structuredClone(empty);
    const one = addSkillGroupEvent(empty, { skillGroup: 'sales', callId: 'c', type: 'OVERFLOWED', waitMs: 30_000, reason: 'timeout' });
    expect(empty).toEqual(frozen);
    expect(one).toMatchObject({ overflowed: 1, overflowedByReason: { timeout: 1 }, maxWaitMs: 30_000 });
  });

  it('an exit without a wait is counted as untimed, and an overflow without a reason under ""', () => {
    const s = sumOf([
      { skillGroup: 'sales', callId: 'a', type: 'ANSWERED' },
      { skillGroup: 'sales', callId: 'b', type: 'OVERFLOWED' },
    ]);
    expect(s).toMatchObject({
      answered: 1,
      answeredWithinSl: 0,
      answerWaitMs: 0,
      untimedExits: 2,
      maxWaitMs: null,
      overflowedByReason: { '': 1 },
    });
  });

  it('the longest wait counts only calls leaving the queue, not the wait repeated on COMPLETED', () => {
    const s = sumOf([{ skillGroup: 'sales', callId: 'a', type: 'COMPLETED', waitMs: 90_000, talkMs: 10_000 }]);
    expect(s.maxWaitMs).toBeNull();
    expect(s.handled).toBe(1);
  });

  it('merging the sums of any split equals the sums of the whole, in either order (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), fc.nat(), (events, cut) => {
        const k = events.length === 0 ? 0 : cut % (events.length + 1);
        const whole = sumOf(events);
        const a = sumOf(events.slice(0, k));
        const b = sumOf(events.slice(k));
        expect(mergeSkillGroupSums(a, b)).toEqual(whole);
        expect(mergeSkillGroupSums(b, a)).toEqual(whole);
        expect(mergeSkillGroupSums(whole, emptySkillGroupSums(thresholds))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('is plain data: survives a JSON round trip', () => {
    const s = sumOf([{ skillGroup: 'sales', callId: 'a', type: 'ABANDONED', waitMs: 3_000 }]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('refuses to merge sums taken against different thresholds, and invalid thresholds', () => {
    expect(() =>
      mergeSkillGroupSums(emptySkillGroupSums(thresholds), emptySkillGroupSums({ ...thresholds, serviceLevelMs: 30_000 })),
    ).toThrow(/different thresholds/);
    expect(() => emptySkillGroupSums({ serviceLevelMs: -1, shortAbandonMs: 0 })).toThrow(
      'serviceLevelMs must be a whole number of ms ≥ 0, got -1',
    );
    expect(() => emptySkillGroupSums({ serviceLevelMs: 0, shortAbandonMs: 0.5 })).toThrow(/shortAbandonMs/);
  });
});
