import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { FlakyStore } from '../testing/harness.js';
import { StateStoreProbeBudget } from './probe-budget.js';

describe('StateStoreProbeBudget', () => {
  it('grants exactly `limit` slots per trial across every instance sharing the store, and a new trial starts afresh', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryStateStore(clock);
    const fleet = Array.from({ length: 10 }, () => new StateStoreProbeBudget(store, clock));
    const answers = await Promise.all(
      fleet.flatMap((b) => [b.tryAcquire('cti:a', 1_000, 3, 30_000), b.tryAcquire('cti:a', 1_000, 3, 30_000)]),
    );
    expect(answers.filter(Boolean)).toHaveLength(3);
    expect(await fleet[0]!.tryAcquire('cti:a', 2_000, 3, 30_000)).toBe(true);
    clock.advance(30_000);
    expect(await fleet[1]!.tryAcquire('cti:a', 1_000, 3, 30_000)).toBe(true);
  });

  it('rejects when the store fails, so the breaker falls back to its local budget', async () => {
    const clock = new ManualClock(0);
    const store = new FlakyStore(new MemoryStateStore(clock));
    store.down = true;
    await expect(new StateStoreProbeBudget(store, clock).tryAcquire('cti:a', 1, 3, 1_000)).rejects.toThrow(/enableOfflineQueue/);
  });
});
