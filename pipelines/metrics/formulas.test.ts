import { describe, expect, it } from 'vitest';
import type { SkillGroupBody } from '../events/types.js';
import {
  describeServiceLevel,
  abandonRate,
  averageHandleTime,
  averageSpeedOfAnswer,
  averageTalkTime,
  handleTime,
  longestWait,
  occupancy,
  overflowRate,
  ratio,
  SERVICE_LEVEL_VARIANTS,
  serviceLevel,
  serviceLevels,
  transferRate,
  utilisation,
} from './formulas.js';
import { addSkillGroupEvent, emptySkillGroupSums } from './skillgroup-sums.js';

const s = (ms: number) => ms * 1000;
const call = (type: SkillGroupBody['type'], extra: Partial<SkillGroupBody> = {}): SkillGroupBody => ({
  skillGroup: 'sales',
  callId: 'c',
  type,
  ...extra,
});

/*
 * Worked example: one 15-minute interval of queue "sales", T = 20 s, short abandon under 5 s.
 *   12 calls entered (2 still waiting when the interval closed).
 *   6 answered after 5, 10, 15, 25, 30, 35 s  → answered within T (≤ 20 s) = 3; total wait 120 s.
 *   3 abandoned after 2, 8, 40 s              → abandoned within T = 2 (2, 8); short abandons = 1 (2 s).
 *   1 left on the queue timeout after 60 s    → overflowed 1; longest wait 60 s.
 *   5 handled: 4 completed + 1 transferred; talk 600 s, hold 60 s, ACW 90 s in total.
 *
 *   SL 1 answered only            = 3 / 6               = 0.5
 *   SL 2 abandons count against   = 3 / (6 + 3)         = 0.3333…
 *   SL 3 abandons within T good   = (3 + 2) / (6 + 3)   = 0.5555…
 *   SL 4 short abandons excluded  = 3 / (6 + 3 − 1)     = 0.375
 *   ASA = 120 s / 6 = 20 s;  AHT = (600 + 60 + 90) s / 5 = 150 s;  mean talk = 600 s / 5 = 120 s
 *   abandon rate / offered = 3 / 12 = 0.25;  / queued (left the queue) = 3 / (6 + 3 + 1) = 0.3
 *   transfer rate = 1 / 5 = 0.2;  overflow rate = 1 / 12;  longest wait = 60 s
 */
function example() {
  let sums = emptySkillGroupSums({ serviceLevelMs: s(20), shortAbandonMs: s(5) });
  const events: SkillGroupBody[] = [
    ...Array.from({ length: 12 }, () => call('OFFERED')),
    ...[5, 10, 15, 25, 30, 35].map((w) => call('ANSWERED', { waitMs: s(w) })),
    ...[2, 8, 40].map((w) => call('ABANDONED', { waitMs: s(w) })),
    call('OVERFLOWED', { waitMs: s(60), reason: 'timeout' }),
    call('COMPLETED', { talkMs: s(100), holdMs: s(60), acwMs: s(30) }),
    call('COMPLETED', { talkMs: s(150), acwMs: s(30) }),
    call('COMPLETED', { talkMs: s(120), acwMs: s(30) }),
    call('COMPLETED', { talkMs: s(130) }),
    call('TRANSFERRED', { talkMs: s(100), reason: 'blind' }),
  ];
  for (const e of events) sums = addSkillGroupEvent(sums, e);
  return sums;
}

describe('skill-group formulas (worked example above)', () => {
  const sums = example();

  it('the raw sums the example adds up to', () => {
    expect(sums).toMatchObject({
      offered: 12,
      answered: 6,
      answeredWithinSl: 3,
      answerWaitMs: s(120),
      abandoned: 3,
      abandonedWithinSl: 2,
      shortAbandons: 1,
      overflowed: 1,
      overflowedByReason: { timeout: 1 },
      maxWaitMs: s(60),
      handled: 5,
      transferred: 1,
      talkMs: s(600),
      holdMs: s(60),
      acwMs: s(90),
      untimedExits: 0,
    });
  });

  it('service level in its four variants', () => {
    expect(serviceLevel(sums, 'answered')).toBe(0.5);
    expect(serviceLevel(sums, 'answeredAndAbandoned')).toBeCloseTo(1 / 3, 12);
    expect(serviceLevel(sums, 'abandonsWithinGood')).toBeCloseTo(5 / 9, 12);
    expect(serviceLevel(sums, 'shortAbandonsExcluded')).toBe(0.375);
    expect(serviceLevels(sums)).toEqual(Object.fromEntries(SERVICE_LEVEL_VARIANTS.map((v) => [v, serviceLevel(sums, v)])));
  });

  it('ASA, AHT, mean talk, longest wait (ms)', () => {
    expect(averageSpeedOfAnswer(sums)).toBe(s(20));
    expect(averageHandleTime(sums)).toBe(s(150));
    expect(averageTalkTime(sums)).toBe(s(120));
    expect(longestWait(sums)).toBe(s(60));
  });

  it('abandon rate over both denominators, transfer and overflow rates', () => {
    expect(abandonRate(sums, 'offered')).toBe(0.25);
    expect(abandonRate(sums, 'queued')).toBe(0.3);
    expect(transferRate(sums)).toBe(0.2);
    expect(overflowRate(sums)).toBeCloseTo(1 / 12, 12);
  });

  it('a wait of exactly T is within T; a wait of exactly the short-abandon threshold is not short', () => {
    let t = emptySkillGroupSums({ serviceLevelMs: s(20), shortAbandonMs: s(5) });
    for (const e of [
      call('ANSWERED', { waitMs: s(20) }),
      call('ANSWERED', { waitMs: s(20) + 1 }),
      call('ABANDONED', { waitMs: s(5) }),
      call('ABANDONED', { waitMs: s(5) - 1 }),
    ])
      t = addSkillGroupEvent(t, e);
    expect(t).toMatchObject({ answeredWithinSl: 1, abandonedWithinSl: 2, shortAbandons: 1 });
  });
});

describe('division by zero is null, never NaN', () => {
  const empty = emptySkillGroupSums({ serviceLevelMs: 20_000, shortAbandonMs: 5_000 });

  it('every skill-group ratio of empty sums', () => {
    for (const v of SERVICE_LEVEL_VARIANTS) expect(serviceLevel(empty, v)).toBeNull();
    expect([
      averageSpeedOfAnswer(empty),
      averageHandleTime(empty),
      averageTalkTime(empty),
      longestWait(empty),
      abandonRate(empty, 'offered'),
      abandonRate(empty, 'queued'),
      transferRate(empty),
      overflowRate(empty),
    ]).toEqual([null, null, null, null, null, null, null, null]);
  });

  it('variant 4 when every abandon was short and nothing was answered', () => {
    expect(
      serviceLevel({ answered: 0, answeredWithinSl: 0, abandoned: 2, abandonedWithinSl: 2, shortAbandons: 2 }, 'shortAbandonsExcluded'),
    ).toBeNull();
    expect(
      serviceLevel({ answered: 0, answeredWithinSl: 0, abandoned: 2, abandonedWithinSl: 2, shortAbandons: 2 }, 'abandonsWithinGood'),
    ).toBe(1);
  });

  it('ratio itself', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(0, 0)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
    expect(ratio(0, 5)).toBe(0);
  });
});

/*
 * Worked example: one agent over one hour (minutes): AVAILABLE 15, ON_CALL 30, HOLD 3, ACW 6, AUX 6.
 *   handle = 30 + 3 + 6 = 39 min
 *   occupancy   = 39 / (39 + 15) = 0.7222…   (AUX is in neither part)
 *   utilisation = 39 / 60        = 0.65      (staffed = every state but LOGGED_OUT)
 */
describe('agent formulas (worked example above)', () => {
  const m = (min: number) => min * 60_000;
  const t = { LOGGED_OUT: 0, AVAILABLE: m(15), RINGING: 0, ON_CALL: m(30), HOLD: m(3), ACW: m(6), AUX: m(6) };

  it('handle time, occupancy, utilisation', () => {
    expect(handleTime(t)).toBe(m(39));
    expect(occupancy(t)).toBeCloseTo(39 / 54, 12);
    expect(utilisation(t)).toBe(0.65);
  });

  it('an agent who was only logged out or only on a break has no occupancy', () => {
    const zero = { LOGGED_OUT: m(60), AVAILABLE: 0, RINGING: 0, ON_CALL: 0, HOLD: 0, ACW: 0, AUX: 0 };
    expect(occupancy(zero)).toBeNull();
    expect(utilisation(zero)).toBeNull();
    const onBreak = { ...zero, LOGGED_OUT: 0, AUX: m(60) };
    expect(occupancy(onBreak)).toBeNull();
    expect(utilisation(onBreak)).toBe(0);
  });
});

describe('a service level in words', () => {
  it('names the variant and its threshold T (to a tenth of a second), as every screen writes it', () => {
    expect(describeServiceLevel('answered', 17_000)).toBe('answered within 17 s ÷ answered');
    expect(describeServiceLevel('answeredAndAbandoned', 20_000)).toBe('answered within 20 s ÷ (answered + abandoned)');
    expect(describeServiceLevel('abandonsWithinGood', 15_500)).toBe('(answered + abandoned within 15.5 s) ÷ (answered + abandoned)');
    expect(describeServiceLevel('shortAbandonsExcluded', 30_040)).toBe('answered within 30 s ÷ (answered + abandoned − short abandons)');
  });
});
