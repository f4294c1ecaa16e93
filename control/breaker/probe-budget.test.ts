import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { InMemoryProbeBudget } from './probe-budget.js';

describe('InMemoryProbeBudget', () => {
  it('grants at most limit slots per trial', () => {
    const b = new InMemoryProbeBudget(new ManualClock());
    const grants = Array.from({ length: 5 }, () => b.tryAcquire('cti:a', 100, 3, 1_000));
    expect(grants).toEqual([true, true, true, false, false]);
  });

  it('keeps trials and breakers apart', () => {
    const b = new InMemoryProbeBudget(new ManualClock());
    expect(b.tryAcquire('cti:a', 100, 1, 1_000)).toBe(true);
    expect(b.tryAcquire('cti:a', 100, 1, 1_000)).toBe(false);
    expect(b.tryAcquire('cti:a', 200, 1, 1_000)).toBe(true);
    expect(b.tryAcquire('cti:b', 100, 1, 1_000)).toBe(true);
  });

  it('forgets a budget after its ttl', () => {
    const clock = new ManualClock();
    const b = new InMemoryProbeBudget(clock);
    expect(b.tryAcquire('x', 1, 1, 1_000)).toBe(true);
    clock.advance(999);
    expect(b.tryAcquire('x', 1, 1, 1_000)).toBe(false);
    clock.advance(1);
    expect(b.tryAcquire('x', 1, 1, 1_000)).toBe(true);
  });

  it('sweeps expired budgets so memory stays bounded', () => {
    const clock = new ManualClock();
    const b = new InMemoryProbeBudget(clock);
    for (let t = 0; t < 1_000; t++) {
      b.tryAcquire('x', t, 1, 10);
      clock.advance(20);
    }
    expect(b.size).toBeLessThanOrEqual(257);
  });
});
