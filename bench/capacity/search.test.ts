import { describe, expect, it } from 'vitest';
import { findMaxRate, type ProbeResult } from './search.js';

/** A system that keeps up with any rate up to `capacity`. */
const system =
  (capacity: number) =>
  async (rate: number): Promise<ProbeResult> => ({
    rate,
    sustained: rate <= capacity,
    achieved: Math.min(rate, capacity),
    p99Ms: rate <= capacity ? 1 : 100,
  });

describe('findMaxRate', () => {
  it('brackets the capacity within the tolerance', async () => {
    const r = await findMaxRate(system(7_300), { start: 1_000, tolerance: 0.05 });
    expect(r.maxSustained).toBeLessThanOrEqual(7_300);
    expect(r.firstUnsustained).toBeGreaterThan(7_300);
    expect((r.firstUnsustained - r.maxSustained) / r.maxSustained).toBeLessThanOrEqual(0.05);
    // steps up 1k, 2k, 4k, 8k (fails), then bisects
    expect(r.probes.slice(0, 4).map((p) => p.rate)).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('reports 0 when even the first rate is too much, bisecting downwards', async () => {
    const r = await findMaxRate(system(300), { start: 1_000 });
    expect(r.maxSustained).toBeGreaterThan(0);
    expect(r.maxSustained).toBeLessThanOrEqual(300);
    const none = await findMaxRate(system(1), { start: 1_000, maxProbes: 3 });
    expect(none.maxSustained).toBe(0);
    expect(none.probes).toHaveLength(3);
  });

  it('stops at max when everything is sustained, and spends at most maxProbes', async () => {
    const r = await findMaxRate(system(Infinity), { start: 100, max: 1_000 });
    expect(r.maxSustained).toBe(1_000);
    expect(r.firstUnsustained).toBe(Infinity);
    const few = await findMaxRate(system(1e9), { start: 1, maxProbes: 4 });
    expect(few.probes).toHaveLength(4);
    expect(few.maxSustained).toBe(8);
  });

  it('reports each probe as it happens and rejects bad options by name', async () => {
    const seen: number[] = [];
    await findMaxRate(system(50), { start: 10, onProbe: (p) => seen.push(p.rate) });
    expect(seen.slice(0, 4)).toEqual([10, 20, 40, 80]);
    await expect(findMaxRate(system(1), { start: 0 })).rejects.toThrow(/start must be > 0/);
    await expect(findMaxRate(system(1), { start: 1, factor: 1 })).rejects.toThrow(/factor must be > 1/);
  });
});
