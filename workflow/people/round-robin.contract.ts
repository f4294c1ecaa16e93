import { describe, expect, it } from 'vitest';
import type { RoundRobinCounter } from './ports.js';

/**
 * The behaviour every {@link RoundRobinCounter} must show: one sequence per tenant and
 * pool, starting at 0, no number handed out twice under concurrency.
 *
 * @param name label of the implementation
 * @param make returns a fresh counter
 */
export function roundRobinContract(name: string, make: () => RoundRobinCounter | Promise<RoundRobinCounter>): void {
  describe(`RoundRobinCounter contract: ${name}`, () => {
    it('counts from 0 per tenant and pool', async () => {
      const c = await make();
      expect([
        await c.next('acme', 'group:a'),
        await c.next('acme', 'group:a'),
        await c.next('acme', 'group:b'),
        await c.next('globex', 'group:a'),
      ]).toEqual([0, 1, 0, 0]);
    });

    it('hands out each number once to concurrent callers', async () => {
      const c = await make();
      const got = await Promise.all(Array.from({ length: 50 }, () => c.next('acme', 'pool')));
      expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });
  });
}
