import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkQueue } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The behaviour every {@link WorkQueue} must have (a Redis stream, and the in-memory twin).
 * `make` gets a fresh name and builds a queue whose claim time is `claimAfterMs`.
 */
export function workQueueContract(name: string, make: (claimAfterMs: number) => Promise<WorkQueue>): void {
  describe(`WorkQueue contract: ${name}`, () => {
    let q: WorkQueue;
    beforeAll(async () => {
      q = await make(300);
    });
    afterAll(async () => {
      await q.close();
    });

    it('delivers each entry to one consumer, in order, and never again once acknowledged', async () => {
      for (const b of ['a', 'b', 'c']) await q.add(b);
      const first = await q.read('one', 2, 50);
      const second = await q.read('two', 5, 50);
      expect(first.map((e) => e.body)).toEqual(['a', 'b']);
      expect(second.map((e) => e.body)).toEqual(['c']);
      expect([...first, ...second].every((e) => !e.reclaimed)).toBe(true);
      for (const e of [...first, ...second]) await q.ack(e.id);
      await sleep(400);
      expect(await q.read('three', 5, 50)).toEqual([]);
    });

    it('waits up to the wait time for an entry and returns it as soon as one is added', async () => {
      const t0 = Date.now();
      expect(await q.read('one', 5, 150)).toEqual([]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
      const reading = q.read('one', 5, 2_000);
      await sleep(50);
      await q.add('late');
      const got = await reading;
      expect(got.map((e) => e.body)).toEqual(['late']);
      await q.ack(got[0]!.id);
    });

    it('hands an entry left pending past the claim time (its consumer died) to another consumer', async () => {
      await q.add('orphan');
      const [held] = await q.read('dead', 1, 50);
      expect(held?.body).toBe('orphan');
      expect(await q.read('alive', 5, 50)).toEqual([]);
      await sleep(400);
      const taken = await q.read('alive', 5, 50);
      expect(taken).toEqual([{ id: held!.id, body: 'orphan', reclaimed: true }]);
      await q.ack(held!.id);
      await sleep(400);
      expect(await q.read('alive', 5, 50)).toEqual([]);
    });
  });
}
