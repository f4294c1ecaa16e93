import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The behaviour every {@link StateStore} must have (redis-server, and the in-memory twin). */
export function stateStoreContract(name: string, make: () => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    let ns: string;
    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => {
      await store.close();
    });
    const k = (key: string) => `${ns}:${key}`;

    it('answers ping and stores values that expire after their TTL', async () => {
      ns = randomUUID();
      expect(await store.ping()).toBe(true);
      expect(await store.get(k('missing'))).toBeNull();
      await store.set(k('a'), 'one');
      await store.set(k('b'), 'two', 150);
      expect(await store.get(k('a'))).toBe('one');
      expect(await store.get(k('b'))).toBe('two');
      await sleep(300);
      expect(await store.get(k('b'))).toBeNull();
      await store.del(k('a'));
      expect(await store.get(k('a'))).toBeNull();
    });

    it('adds to counters atomically under concurrency', async () => {
      ns = randomUUID();
      const results = await Promise.all(Array.from({ length: 50 }, () => store.incrBy(k('c'), 2)));
      expect(Math.max(...results)).toBe(100);
      expect(new Set(results).size).toBe(50);
      expect(await store.incrBy(k('c'), -1.5)).toBe(98.5);
      await store.incrBy(k('t'), 1, 150);
      await sleep(300);
      expect(await store.incrBy(k('t'), 1)).toBe(1);
    });

    it('merges fields into a map atomically, keeping other fields, and expires the map after its TTL', async () => {
      ns = randomUUID();
      expect(await store.getFields(k('m'))).toEqual({});
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.setFields(k('m'), { [`f${i}`]: String(i) })));
      await store.setFields(k('m'), { f3: 'three', extra: 'x' });
      const all = await store.getFields(k('m'));
      expect(Object.keys(all)).toHaveLength(21);
      expect(all).toMatchObject({ f0: '0', f3: 'three', f19: '19', extra: 'x' });
      await store.setFields(k('e'), { a: '1' }, 150);
      expect(await store.getFields(k('e'))).toEqual({ a: '1' });
      await sleep(300);
      expect(await store.getFields(k('e'))).toEqual({});
      await store.setFields(k('e'), { b: '2' });
      expect(await store.getFields(k('e'))).toEqual({ b: '2' });
      await store.del(k('m'));
      expect(await store.getFields(k('m'))).toEqual({});
    });

    it('removes some fields of a map, keeping the others and the expiry; a map left empty is gone', async () => {
      ns = randomUUID();
      await store.setFields(k('d'), { a: '1', b: '2', c: '3' }, 250);
      await store.delFields(k('d'), ['a', 'missing']);
      expect(await store.getFields(k('d'))).toEqual({ b: '2', c: '3' });
      await store.delFields(k('nothing-here'), ['a']);
      expect(await store.getFields(k('nothing-here'))).toEqual({});
      await sleep(400);
      expect(await store.getFields(k('d'))).toEqual({});
      await store.setFields(k('d2'), { a: '1' });
      await store.delFields(k('d2'), ['a']);
      await store.setFields(k('d2'), {}, 60_000);
      expect(await store.getFields(k('d2'))).toEqual({});
    });

    it('gives a lease to one owner at a time, renews it for that owner, and frees it on expiry or release', async () => {
      ns = randomUUID();
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((o) => store.acquireLease(k('leader'), o, 400)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      const holder = ['a', 'b', 'c', 'd'][claims.indexOf(true)]!;
      const other = holder === 'a' ? 'b' : 'a';
      expect(await store.acquireLease(k('leader'), holder, 400)).toBe(true);
      expect(await store.releaseLease(k('leader'), other)).toBe(false);
      expect(await store.acquireLease(k('leader'), other, 400)).toBe(false);
      await sleep(600);
      expect(await store.acquireLease(k('leader'), other, 400)).toBe(true);
      expect(await store.releaseLease(k('leader'), other)).toBe(true);
      expect(await store.acquireLease(k('leader'), holder, 400)).toBe(true);
    });

    it('delivers published messages to subscribers until they unsubscribe, and counts who received them', async () => {
      ns = randomUUID();
      const got: string[] = [];
      const off = await store.subscribe(k('levels'), (m) => got.push(m));
      expect(await store.publish(k('levels'), 'L2')).toBe(1);
      expect(await store.publish(k('other'), 'nope')).toBe(0);
      for (let i = 0; i < 50 && got.length < 1; i++) await sleep(20);
      expect(got).toEqual(['L2']);
      await off();
      expect(await store.publish(k('levels'), 'L3')).toBe(0);
      await sleep(100);
      expect(got).toEqual(['L2']);
    });
  });
}
