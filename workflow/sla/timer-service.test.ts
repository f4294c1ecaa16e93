import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { WorkflowError } from '../errors.js';
import { runFor } from '../testing/virtual-time.js';
import { MemoryTimerStore } from './memory-timer-store.js';
import type { Notification, Notifier } from './notifier.js';
import { TimerService, type FireResult } from './timer-service.js';
import { sampleTimer } from './timer-store.contract.js';
import type { TimerStore } from './timer-store.js';

const T0 = 1_000_000;

function recorder(): Notifier & { seen: Notification[] } {
  const seen: Notification[] = [];
  return { seen, notify: async (n) => void seen.push(n) };
}

describe('TimerService', () => {
  it('fires each timer once, at its due instant, between polls', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    const notifier = recorder();
    const service = new TimerService({ store, notifier, clock, pollIntervalMs: 60_000 });
    service.start();
    await store.schedule(sampleTimer({ id: 'a', dueAt: T0 + 1_500 }));
    await store.schedule(sampleTimer({ id: 'b', dueAt: T0 + 90_250 }));
    await runFor(clock, 200_000, 250);
    expect(notifier.seen.map((n) => [n.timer.id, n.firedAt - T0, n.latenessMs, n.late])).toEqual([
      ['a', 1_500, 0, false],
      ['b', 90_250, 0, false],
    ]);
    await service.stop();
  });

  it('marks timers due before start as late and measures lateness', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    await store.schedule(sampleTimer({ id: 'missed', dueAt: T0 - 5_000 }));
    const notifier = recorder();
    const service = new TimerService({ store, notifier, clock });
    service.start();
    await runFor(clock, 1_000);
    expect(notifier.seen).toHaveLength(1);
    expect(notifier.seen[0]).toMatchObject({ late: true, latenessMs: 5_000, firedAt: T0 });
    await service.stop();
  });

  it('fires each timer on exactly one of several instances sharing the store', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    for (let i = 0; i < 40; i++) await store.schedule(sampleTimer({ id: `t${i}`, dueAt: T0 + (i % 4) * 1_000 }));
    const notifier = recorder();
    const services = [1, 2, 3].map(() => new TimerService({ store, notifier, clock, batchSize: 3 }));
    for (const s of services) s.start();
    await runFor(clock, 10_000);
    const ids = notifier.seen.map((n) => n.timer.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    await Promise.all(services.map((s) => s.stop()));
  });

  it('retries a retriable failure with doubling delay up to maxAttempts', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    const attempts: number[] = [];
    const notifier: Notifier = {
      notify: async (n) => {
        attempts.push(n.firedAt - T0);
        throw new WorkflowError('SLUICE_ERR_WEBHOOK_FAILED', 'down');
      },
    };
    const failed: FireResult[] = [];
    const service = new TimerService({ store, notifier, clock, maxAttempts: 3, retryDelayMs: 10_000 });
    service.on('failed', (r) => failed.push(r));
    await store.schedule(sampleTimer({ id: 'x', dueAt: T0 }));
    service.start();
    await runFor(clock, 120_000);
    expect(attempts).toEqual([0, 10_000, 30_000]);
    expect(failed.map((r) => r.retry?.id)).toEqual(['x#2', 'x#3', undefined]);
    await service.stop();
  });

  it('does not retry a failure marked not retriable', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    let calls = 0;
    const notifier: Notifier = {
      notify: async () => {
        calls++;
        throw new WorkflowError('SLUICE_ERR_WEBHOOK_FAILED', '400', { retriable: false });
      },
    };
    const service = new TimerService({ store, notifier, clock });
    await store.schedule(sampleTimer({ dueAt: T0 }));
    const [result] = await service.tick();
    expect(result).toMatchObject({ delivered: false });
    expect(result?.retry).toBeUndefined();
    expect(calls).toBe(1);
    expect(store.size).toBe(0);
  });

  it('stops polling when stopped', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    const notifier = recorder();
    const service = new TimerService({ store, notifier, clock });
    service.start();
    await runFor(clock, 1_000);
    await service.stop();
    await store.schedule(sampleTimer({ dueAt: T0 + 2_000 }));
    await runFor(clock, 10_000);
    expect(notifier.seen).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('keeps polling after a store failure and a throwing listener', async () => {
    const clock = new ManualClock(T0);
    const inner = new MemoryTimerStore();
    let failOnce = true;
    const store: TimerStore = {
      schedule: (t) => inner.schedule(t),
      cancel: (a, b, c) => inner.cancel(a, b, c),
      nextDueAt: () => inner.nextDueAt(),
      claimDue: async (now, limit) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('redis down');
        }
        return inner.claimDue(now, limit);
      },
    };
    const notifier = recorder();
    const service = new TimerService({ store, notifier, clock });
    const errors: unknown[] = [];
    service.on('error', (e) => errors.push(e));
    service.on('fired', () => {
      throw new Error('listener bug');
    });
    await inner.schedule(sampleTimer({ dueAt: T0 + 500 }));
    service.start();
    await runFor(clock, 3_000, 500);
    expect(errors).toHaveLength(1);
    expect(notifier.seen).toHaveLength(1);
    await service.stop();
  });

  it('unsubscribes listeners', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    const service = new TimerService({ store, notifier: recorder(), clock });
    const seen: FireResult[] = [];
    const off = service.on('fired', (r) => seen.push(r));
    off();
    await store.schedule(sampleTimer({ dueAt: T0 }));
    await service.tick();
    expect(seen).toEqual([]);
  });
});
