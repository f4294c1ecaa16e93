import { describe, expect, it } from 'vitest';
import type { SlaTimer, TimerStore } from './timer-store.js';

/** A timer with sensible defaults, for contract tests. */
export function sampleTimer(over: Partial<SlaTimer> = {}): SlaTimer {
  return {
    id: 't-1/1/warning/1/0',
    tenant: 'acme',
    ticketId: 't-1',
    revision: 1,
    dueAt: 1_000,
    kind: 'warning',
    level: 1,
    repeat: 0,
    nodeId: 'manager',
    channel: 'message',
    recipients: ['user:ann'],
    message: 'SLA warning',
    attempt: 1,
    ...over,
  };
}

/**
 * The behaviour every {@link TimerStore} must show, run against the in-memory twin here and
 * against Redis by the integration suite: `timerStoreContract('redis', () => makeRedisStore())`.
 *
 * @param name label of the implementation
 * @param make returns a fresh, empty store
 */
export function timerStoreContract(name: string, make: () => TimerStore | Promise<TimerStore>): void {
  describe(`TimerStore contract: ${name}`, () => {
    it('claims due timers earliest first, only once', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'b', dueAt: 2_000 }));
      await store.schedule(sampleTimer({ id: 'a', dueAt: 1_000 }));
      await store.schedule(sampleTimer({ id: 'c', dueAt: 9_000 }));
      expect(await store.nextDueAt()).toBe(1_000);
      expect((await store.claimDue(5_000, 10)).map((t) => t.id)).toEqual(['a', 'b']);
      expect(await store.claimDue(5_000, 10)).toEqual([]);
      expect(await store.nextDueAt()).toBe(9_000);
    });

    it('respects the limit', async () => {
      const store = await make();
      for (let i = 0; i < 5; i++) await store.schedule(sampleTimer({ id: `t${i}`, dueAt: i }));
      expect(await store.claimDue(10, 2)).toHaveLength(2);
      expect(await store.claimDue(10, 10)).toHaveLength(3);
    });

    it('hands each timer to exactly one of many concurrent claimers', async () => {
      const store = await make();
      for (let i = 0; i < 50; i++) await store.schedule(sampleTimer({ id: `t${i}`, dueAt: i }));
      const batches = await Promise.all(Array.from({ length: 8 }, () => store.claimDue(100, 7)));
      const ids = batches.flat().map((t) => t.id);
      const more = (await store.claimDue(100, 100)).map((t) => t.id);
      expect(new Set([...ids, ...more]).size).toBe(50);
      expect(ids.length + more.length).toBe(50);
    });

    it('never re-schedules a fired id', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'x', dueAt: 1 }));
      await store.claimDue(1, 10);
      expect(await store.schedule(sampleTimer({ id: 'x', dueAt: 5 }))).toBe(false);
      expect(await store.claimDue(10, 10)).toEqual([]);
    });

    it('moves a pending timer when scheduled again', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'x', dueAt: 1 }));
      await store.schedule(sampleTimer({ id: 'x', dueAt: 50 }));
      expect(await store.claimDue(10, 10)).toEqual([]);
      expect((await store.claimDue(50, 10)).map((t) => t.dueAt)).toEqual([50]);
    });

    it('cancels a ticket’s timers and ignores writers of older revisions', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'old', revision: 3 }));
      expect(await store.cancel('acme', 't-1', 4)).toBe(1);
      expect(await store.schedule(sampleTimer({ id: 'late-writer', revision: 3 }))).toBe(false);
      expect(await store.schedule(sampleTimer({ id: 'current', revision: 4 }))).toBe(true);
      expect(await store.cancel('acme', 't-1', 4)).toBe(0);
      expect((await store.claimDue(10_000, 10)).map((t) => t.id)).toEqual(['current']);
    });

    it('replaces a ticket’s timers of older revisions with its new ones in one step', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'a', revision: 1, dueAt: 100 }));
      await store.schedule(sampleTimer({ id: 'b', revision: 1, dueAt: 200 }));
      await store.schedule(sampleTimer({ ticketId: 't-2', id: 'other', revision: 1, dueAt: 300 }));
      const r = await store.replace('acme', 't-1', 2, [sampleTimer({ id: 'b', dueAt: 250 }), sampleTimer({ id: 'c', dueAt: 400 })]);
      expect(r).toEqual({ removed: 2, scheduled: 2, stale: false });
      // The timers carry the revision they were replaced at; the other ticket's timer is untouched.
      const claimed = await store.claimDue(10_000, 10);
      expect(claimed.map((t) => [t.ticketId, t.id, t.dueAt, t.revision])).toEqual([
        ['t-1', 'b', 250, 2],
        ['t-2', 'other', 300, 1],
        ['t-1', 'c', 400, 2],
      ]);
    });

    it('leaves a ticket’s timers alone when a newer revision replaced them, and refuses late single writers', async () => {
      const store = await make();
      expect((await store.replace('acme', 't-1', 5, [sampleTimer({ id: 'new' })])).stale).toBe(false);
      expect(await store.replace('acme', 't-1', 4, [sampleTimer({ id: 'late' })])).toEqual({ removed: 0, scheduled: 0, stale: true });
      expect(await store.schedule(sampleTimer({ id: 'late-single', revision: 4 }))).toBe(false);
      // The same revision again (a create sent twice) puts the same timers back, moved, never doubled.
      expect(await store.replace('acme', 't-1', 5, [sampleTimer({ id: 'new', dueAt: 2_000 })])).toEqual({
        removed: 0,
        scheduled: 1,
        stale: false,
      });
      expect((await store.claimDue(10_000, 10)).map((t) => [t.id, t.dueAt])).toEqual([['new', 2_000]]);
    });

    it('never schedules again in a replace a timer in flight or fired', async () => {
      const store = await make();
      await store.replace('acme', 't-1', 1, [sampleTimer({ id: 'x', dueAt: 10 }), sampleTimer({ id: 'y', dueAt: 20 })]);
      expect((await store.claimDue(10, 10)).map((t) => t.id)).toEqual(['x']);
      expect(await store.replace('acme', 't-1', 2, [sampleTimer({ id: 'x', dueAt: 30 }), sampleTimer({ id: 'y', dueAt: 20 })])).toEqual({
        removed: 1,
        scheduled: 1,
        stale: false,
      });
      await store.ack([{ tenant: 'acme', id: 'x' }], 11);
      expect((await store.replace('acme', 't-1', 3, [sampleTimer({ id: 'x', dueAt: 40 })])).scheduled).toBe(0);
      expect(await store.claimDue(10_000, 10)).toEqual([]);
    });

    it('refuses in a replace a timer of another ticket or tenant, changing nothing', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'kept' }));
      await expect(store.replace('acme', 't-1', 2, [sampleTimer({ id: 'x', ticketId: 't-2' })])).rejects.toThrow(TypeError);
      await expect(store.replace('globex', 't-1', 2, [sampleTimer({ id: 'x' })])).rejects.toThrow(TypeError);
      expect((await store.claimDue(10_000, 10)).map((t) => t.id)).toEqual(['kept']);
    });

    it('keeps tenants apart', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ tenant: 'acme', id: 'same' }));
      await store.schedule(sampleTimer({ tenant: 'globex', id: 'same' }));
      expect(await store.cancel('globex', 't-1')).toBe(1);
      const claimed = await store.claimDue(10_000, 10);
      expect(claimed.map((t) => t.tenant)).toEqual(['acme']);
      expect(await store.schedule(sampleTimer({ tenant: 'globex', id: 'same' }))).toBe(true);
    });

    it('keeps a claimed timer in flight until acked, and hands it out again once its lease expired', async () => {
      const store = await make();
      await store.schedule(sampleTimer({ id: 'x', dueAt: 10 }));
      await store.schedule(sampleTimer({ id: 'y', dueAt: 500 }));
      expect((await store.claimDue(10, 10, 100)).map((t) => t.id)).toEqual(['x']);
      expect(await store.nextDueAt()).toBe(110);
      expect(await store.claimDue(109, 10, 100)).toEqual([]);
      expect(await store.schedule(sampleTimer({ id: 'x', dueAt: 20 }))).toBe(false);
      expect(await store.cancel('acme', 't-1')).toBe(1);
      expect(await store.firedAt('acme', ['x'])).toEqual([undefined]);
      const again = await store.claimDue(110, 10, 100);
      expect(again).toEqual([sampleTimer({ id: 'x', dueAt: 10 })]);
      expect(
        await store.ack(
          [
            { tenant: 'acme', id: 'x' },
            { tenant: 'acme', id: 'unknown' },
          ],
          115,
        ),
      ).toBe(1);
      expect(await store.ack([{ tenant: 'acme', id: 'x' }], 116)).toBe(0);
      expect(await store.nextDueAt()).toBeUndefined();
      expect(await store.claimDue(10_000, 10, 100)).toEqual([]);
      expect(await store.schedule(sampleTimer({ id: 'x', dueAt: 20_000 }))).toBe(false);
      expect(await store.firedAt('acme', ['x', 'y'])).toEqual([115, undefined]);
      expect(await store.firedAt('globex', ['x'])).toEqual([undefined]);
    });

    it('re-claims expired leases before new due timers, each to one claimer', async () => {
      const store = await make();
      for (let i = 0; i < 20; i++) await store.schedule(sampleTimer({ id: `t${i}`, dueAt: 100 + i }));
      const first = await store.claimDue(105, 6, 50);
      expect(first.map((t) => t.id)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
      await store.ack(first.slice(0, 2), 106);
      const batches = await Promise.all(Array.from({ length: 5 }, () => store.claimDue(200, 3, 50)));
      const ids = batches.flat().map((t) => t.id);
      expect(ids.slice(0, 3)).toEqual(['t2', 't3', 't4']);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(['t2', 't3', 't4', 't5', ...Array.from({ length: 11 }, (_, i) => `t${i + 6}`)].sort());
    });

    it('returns copies, not live records', async () => {
      const store = await make();
      const timer = sampleTimer({ recipients: ['user:ann'] });
      await store.schedule(timer);
      (timer.recipients as string[]).push('user:eve');
      const [claimed] = await store.claimDue(10_000, 1);
      expect(claimed?.recipients).toEqual(['user:ann']);
    });
  });
}
