import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { InMemoryProbeBudget } from './probe-budget.js';
import type { ProbeBudget } from './probe-budget.js';
import { ProbeGate } from './probe-gate.js';

const local = (): InMemoryProbeBudget => new InMemoryProbeBudget(new ManualClock());

describe('ProbeGate', () => {
  it('passes synchronous answers through and stops asking once the budget says no', () => {
    let asked = 0;
    const inner = local();
    const counting: ProbeBudget = { tryAcquire: (...a) => (asked++, inner.tryAcquire(...a)) };
    const g = new ProbeGate(counting, local());
    expect([1, 2, 3].map(() => g.tryTake('b', 1, 7, 2, 1_000))).toEqual([true, true, false]);
    g.tryTake('b', 1, 7, 2, 1_000);
    expect(asked).toBe(3);
  });

  it('hands an asynchronous grant to the next call, one request in flight at a time', async () => {
    let asked = 0;
    const g = new ProbeGate({ tryAcquire: async () => (asked++, true) }, local());
    expect(g.tryTake('b', 1, 7, 5, 1_000)).toBe(false);
    expect(g.tryTake('b', 1, 7, 5, 1_000)).toBe(false);
    expect(asked).toBe(1);
    await Promise.resolve();
    expect(g.tryTake('b', 1, 7, 5, 1_000)).toBe(true);
  });

  it('drops a grant that arrives after the generation changed', async () => {
    const g = new ProbeGate({ tryAcquire: async () => true }, local());
    g.tryTake('b', 1, 7, 5, 1_000);
    g.reset(2);
    await Promise.resolve();
    expect(g.tryTake('b', 2, 9, 5, 1_000)).toBe(false);
  });

  it('falls back to the local budget when the shared one throws or rejects', async () => {
    const throwing = new ProbeGate(
      {
        tryAcquire: () => {
          throw new Error('down');
        },
      },
      local(),
    );
    expect(throwing.tryTake('b', 1, 7, 1, 1_000)).toBe(true);
    expect(throwing.tryTake('b', 1, 7, 1, 1_000)).toBe(false);
    const rejecting = new ProbeGate({ tryAcquire: () => Promise.reject(new Error('down')) }, local());
    expect(rejecting.tryTake('b', 1, 7, 1, 1_000)).toBe(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(rejecting.tryTake('b', 1, 7, 1, 1_000)).toBe(true);
  });
});
