import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';

describe('MinHeap', () => {
  it('pops values in priority order, whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1_000, max: 1_000 })), (keys) => {
        const heap = new MinHeap<number>();
        keys.forEach((k) => heap.push(k, k));
        const out: number[] = [];
        while (heap.size > 0) {
          expect(heap.peekKey()).toBe(heap.peekKey());
          out.push(heap.pop() as number);
        }
        expect(out).toEqual([...keys].sort((a, b) => a - b));
        expect(heap.pop()).toBeUndefined();
        expect(heap.peekKey()).toBe(Infinity);
      }),
    );
  });

  it('clears', () => {
    const heap = new MinHeap<string>();
    heap.push(1, 'a');
    heap.clear();
    expect(heap.size).toBe(0);
  });
});
