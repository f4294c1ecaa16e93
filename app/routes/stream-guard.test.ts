import { describe, expect, it } from 'vitest';
import { FrameBudget, StreamConnections } from './stream-guard.js';

describe('stream guards', () => {
  it('a frame budget allows a burst of perMinute, then refills at perMinute per minute, never above it', () => {
    const b = new FrameBudget(3, 0);
    expect([b.spend(0), b.spend(0), b.spend(0), b.spend(0)]).toEqual([true, true, true, false]);
    expect(b.spend(19_999)).toBe(false);
    expect(b.spend(20_000)).toBe(true);
    expect(b.spend(20_000)).toBe(false);
    // An hour of silence refills the burst, not more.
    expect([b.spend(3_620_000), b.spend(3_620_000), b.spend(3_620_000), b.spend(3_620_000)]).toEqual([true, true, true, false]);
    // A clock that steps back changes nothing.
    expect(b.spend(0)).toBe(false);
  });

  it('connections are counted per key and in all; and a slot given back twice counts once', () => {
    const c = new StreamConnections(2, 3);
    const a1 = c.take('a');
    const a2 = c.take('a');
    expect(c.take('a')).toBe('per-key');
    const b1 = c.take('b');
    expect(c.refusal('c')).toBe('global');
    expect(typeof a1 === 'function' && typeof a2 === 'function' && typeof b1 === 'function').toBe(true);
    (a1 as () => void)();
    (a1 as () => void)();
    expect([c.of('a'), c.total]).toEqual([1, 2]);
    (a2 as () => void)();
    (b1 as () => void)();
    expect([c.of('a'), c.of('b'), c.total, c.refusal('a')]).toEqual([0, 0, 0, undefined]);
  });
});
