import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './partition-offsets.js';

describe('PartitionOffsets', () => {
  it('holds the commit position at the first offset of any bucket an open window may still need', () => {
    const p = new PartitionOffsets(60_000, 120_000);
    p.note(10_000, 5);
    p.note(70_000, 6);
    p.note(5_000, 7); // late, same first bucket
    p.note(130_000, 8);
    expect(p.commitPosition(9)).toBe(5);
    p.release(60_000 + 119_999);
    expect(p.commitPosition(9)).toBe(5);
    p.release(180_000); // first bucket's end (60 s) + horizon (120 s)
    expect(p.commitPosition(9)).toBe(6);
    p.release(10_000_000);
    expect(p.size).toBe(0);
    expect(p.commitPosition(9)).toBe(9);
  });

  it('refuses nonsensical sizes', () => {
    expect(() => new PartitionOffsets(0, 1)).toThrow(/bucketMs must be > 0/);
  });
});
