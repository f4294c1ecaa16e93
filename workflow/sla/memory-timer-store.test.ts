import { expect, it } from 'vitest';
import { MemoryTimerStore } from './memory-timer-store.js';
import { sampleTimer, timerStoreContract } from './timer-store.contract.js';

timerStoreContract('memory', () => new MemoryTimerStore());

it('forgets fired ids after the retention', async () => {
  const store = new MemoryTimerStore({ firedRetentionMs: 1_000 });
  await store.schedule(sampleTimer({ id: 'x', dueAt: 0 }));
  await store.claimDue(0, 1);
  await store.ack([{ tenant: 'acme', id: 'x' }], 0);
  await store.claimDue(5_000, 1);
  expect(await store.schedule(sampleTimer({ id: 'x', dueAt: 6_000 }))).toBe(true);
  expect(store.size).toBe(1);
});
