import { describe, expect, it } from 'vitest';
import { pushDelay, refreshDue, SLOW_PUSH_FACTOR } from './stream-pace.js';

// Pure functions of the time: the "clock" is the numbers passed in.
describe('the stream’s pace', () => {
  const T = 1_000_000;

  it('pushes a change at most every minIntervalMs at normal pace, and 4× that while slowed', () => {
    expect(SLOW_PUSH_FACTOR).toBe(4);
    expect(pushDelay(T, T, 500, false)).toBe(500);
    expect(pushDelay(T, T + 200, 500, false)).toBe(300);
    expect(pushDelay(T, T + 900, 500, false)).toBe(0);
    expect(pushDelay(T, T, 500, true)).toBe(2_000);
    expect(pushDelay(T, T + 900, 500, true)).toBe(1_100);
    expect(pushDelay(T, T + 5_000, 500, true)).toBe(0);
  });

  it('refreshes on every refresh tick at normal pace, and only once 4 refresh periods passed while slowed', () => {
    expect(refreshDue(T, T + 1, 2_000, false)).toBe(true);
    expect(refreshDue(T, T + 2_000, 2_000, true)).toBe(false);
    expect(refreshDue(T, T + 7_999, 2_000, true)).toBe(false);
    expect(refreshDue(T, T + 8_000, 2_000, true)).toBe(true);
  });

  it('over a minute of refresh ticks, a slowed screen gets a quarter of the pushes', () => {
    const pushes = (slowed: boolean) => {
      let last = T;
      let n = 0;
      for (let now = T + 2_000; now <= T + 60_000; now += 2_000) {
        if (refreshDue(last, now, 2_000, slowed) && pushDelay(last, now, 500, slowed) === 0) {
          last = now;
          n += 1;
        }
      }
      return n;
    };
    expect([pushes(false), pushes(true)]).toEqual([30, 7]);
  });
});
