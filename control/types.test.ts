import { describe, expect, it } from 'vitest';
import { LEVELS, PRIORITIES, SAFETY_ORDER, isLevel, isPriority, seededRandom } from './types.js';

describe('control vocabulary', () => {
  it('orders channels from richest to safest, with keypad IVR last', () => {
    expect(SAFETY_ORDER).toEqual(['agent', 'smart_ivr', 'chat', 'callback', 'keypad_ivr']);
    expect(PRIORITIES[0]).toBe('vip');
    expect(LEVELS).toEqual([0, 1, 2, 3]);
  });

  it('guards levels and priorities', () => {
    expect([0, 3, 4, '1', null].map(isLevel)).toEqual([true, true, false, false, false]);
    expect(['low', 'gold'].map(isPriority)).toEqual([true, false]);
  });

  it('has a reproducible random source in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1_000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});
