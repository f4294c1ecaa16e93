import { describe, expect, it } from 'vitest';
import { ManualClock, runFor } from '../../adapters/clock.js';
import { workflowError } from '../errors.js';
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
        throw workflowError('SLUICE_ERR_WEBHOOK_FAILED', 'down');
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
        throw workflowError('SLUICE_ERR_WEBHOOK_FAILED', '400', { retriable: false });
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
      replace: (tenant, ticketId, revision, timers) => inner.replace(tenant, ticketId, revision, timers),
      nextDueAt: () => inner.nextDueAt(),
      ack: (timers, now) => inner.ack(timers, now),
      firedAt: (tenant, ids) => inner.firedAt(tenant, ids),
      claimDue: async (now, limit, leaseMs) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('redis down');
        }
        return inner.claimDue(now, limit, leaseMs);
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

  it('acks each delivered timer, so a fired id is remembered with its time', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    const service = new TimerService({ store, notifier: recorder(), clock });
    await store.schedule(sampleTimer({ id: 'a', dueAt: T0 }));
    await service.tick();
    expect(store.inFlight).toBe(0);
    expect(await store.firedAt('acme', ['a'])).toEqual([T0]);
  });

  it('loses no timer when an instance dies between claim and send: another claims it after the lease', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryTimerStore();
    for (let i = 0; i < 10; i++) await store.schedule(sampleTimer({ id: `t${i}`, dueAt: T0 + 1_000 }));
    // The doomed instance claims everything, then hangs forever in its notifier (the process died).
    const doomed = new TimerService({
      store,
      notifier: { notify: () => new Promise<void>(() => undefined) },
      clock,
      leaseMs: 30_000,
      batchSize: 4,
    });
    const survivor = recorder();
    const healthy = new TimerService({ store, notifier: survivor, clock, leaseMs: 30_000 });
    void doomed.tick();
    clock.advance(1_000);
    void doomed.tick();
    await runFor(clock, 0);
    expect(store.inFlight).toBe(4);
    healthy.start();
    await runFor(clock, 20_000);
    // The healthy instance fired what the doomed one never claimed, at once.
    expect(survivor.seen.map((n) => n.timer.id)).toEqual(['t4', 't5', 't6', 't7', 't8', 't9']);
    await runFor(clock, 15_000);
    const ids = survivor.seen.map((n) => n.timer.id);
    expect([...ids].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`).sort());
    const reclaimed = survivor.seen.filter((n) => ['t0', 't1', 't2', 't3'].includes(n.timer.id));
    expect(reclaimed.every((n) => n.firedAt === T0 + 31_000 && n.latenessMs === 30_000)).toBe(true);
    expect(store.inFlight).toBe(0);
    await healthy.stop();
  });

  it('leaves a timer unacked when the retry cannot be stored, so it comes back after the lease', async () => {
    const clock = new ManualClock(T0);
    const inner = new MemoryTimerStore();
    const store: TimerStore = {
      schedule: async (t) => {
        if (t.attempt > 1) throw new Error('redis down');
        return inner.schedule(t);
      },
      cancel: (a, b, c) => inner.cancel(a, b, c),
      replace: (tenant, ticketId, revision, timers) => inner.replace(tenant, ticketId, revision, timers),
      nextDueAt: () => inner.nextDueAt(),
      ack: (timers, now) => inner.ack(timers, now),
      firedAt: (tenant, ids) => inner.firedAt(tenant, ids),
      claimDue: (now, limit, leaseMs) => inner.claimDue(now, limit, leaseMs),
    };
    let calls = 0;
    const notifier: Notifier = {
      notify: async () => {
        calls++;
        if (calls === 1) throw workflowError('SLUICE_ERR_WEBHOOK_FAILED', 'down');
      },
    };
    const service = new TimerService({ store, notifier, clock, leaseMs: 5_000 });
    const errors: unknown[] = [];
    service.on('error', (e) => errors.push(e));
    await store.schedule(sampleTimer({ id: 'x', dueAt: T0 }));
    service.start();
    await runFor(clock, 10_000);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect(await inner.firedAt('acme', ['x'])).toEqual([T0 + 5_000]);
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
