import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTimeOrder, type Timed } from './reorder.js';

const ev = (id: string, ts: number): Timed => ({ id, ts });
const ids = (xs: Timed[]) => xs.map((x) => x.id);

describe('EventTimeOrder', () => {
  it('holds events until the event time has moved on by the horizon, then releases them in order', () => {
    const o = new EventTimeOrder<Timed>(10);
    expect(o.push(ev('b', 105))).toEqual([]);
    expect(o.push(ev('a', 100))).toEqual([]);
    expect(ids(o.push(ev('c', 112)))).toEqual(['a']);
    expect(o.pending).toBe(2);
    expect(ids(o.drain())).toEqual(['b', 'c']);
    expect(o.pending).toBe(0);
  });

  it('keeps arrival order for equal event times', () => {
    const o = new EventTimeOrder<Timed>(10);
    const out = [...o.push(ev('x', 5)), ...o.push(ev('w', 3)), ...o.push(ev('y', 5)), ...o.drain()];
    expect(ids(out)).toEqual(['w', 'x', 'y']);
  });

  it('passes an event behind the released ones through at once and counts it late', () => {
    const o = new EventTimeOrder<Timed>(0);
    o.push(ev('a', 100));
    o.push(ev('b', 200));
    expect(ids(o.push(ev('old', 50)))).toEqual(['old']);
    expect(o.late).toBe(1);
  });

  it('drops a repeated id within reach, forgets ids beyond 2 × horizon', () => {
    const o = new EventTimeOrder<Timed>(10);
    o.push(ev('a', 100));
    expect(o.push(ev('a', 100))).toEqual([]);
    expect(o.duplicates).toBe(1);
    o.push(ev('z', 121));
    expect(ids([...o.push(ev('a', 100)), ...o.drain()])).toEqual(['a', 'z']);
    expect(o.duplicates).toBe(1);
  });

  it('holds at most the events within the horizon (bounded memory)', () => {
    const o = new EventTimeOrder<Timed>(1_000);
    let max = 0;
    for (let i = 0; i < 50_000; i++) {
      o.push(ev(`e${i}`, i * 100));
      max = Math.max(max, o.pending);
    }
    expect(max).toBeLessThanOrEqual(11);
  });

  it('refuses a negative horizon', () => {
    expect(() => new EventTimeOrder(-1)).toThrow('horizonMs must be a number of ms ≥ 0, got -1');
  });

  it('releases every distinct event once, sorted, when disorder stays within the horizon (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 50 })), { maxLength: 200 }), (pairs) => {
        // Arrival order: by base time; event time: base − jitter, so disorder is at most 50 ms.
        const input = pairs
          .map(([base, jitter], i) => ({ base, e: ev(`e${i}`, Math.max(0, base - jitter)) }))
          .sort((a, b) => a.base - b.base);
        const o = new EventTimeOrder<Timed>(50);
        const out: Timed[] = [];
        for (const { e } of input) out.push(...o.push(e), ...(e.id.endsWith('0') ? o.push(e) : []));
        out.push(...o.drain());
        expect(out.map((e) => e.ts)).toEqual([...out.map((e) => e.ts)].sort((a, b) => a - b));
        expect(new Set(ids(out))).toEqual(new Set(input.map((x) => x.e.id)));
        expect(out).toHaveLength(input.length);
        expect(o.late).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
