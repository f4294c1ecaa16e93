import { describe, expect, it } from 'vitest';
import { monthOf, partitionChunks } from './partitions.js';

describe('partitionChunks', () => {
  it('keeps rows of at most 100 months in one insert, in order', () => {
    const times = Array.from({ length: 250 }, (_, i) => Date.UTC(2010, i % 100, 3));
    expect(partitionChunks(times.length, (i) => times[i]!)).toEqual([times.map((_, i) => i)]);
    expect(partitionChunks(0, () => 0)).toEqual([]);
    expect(partitionChunks(3, (i) => Date.UTC(2026, 0, 31, 23, 59) + i * 60_000)).toEqual([[0, 1, 2]]);
  });

  it('splits rows of 101 months into inserts of at most 100 months, each month whole', () => {
    const times = Array.from({ length: 202 }, (_, i) => Date.UTC(2010, i % 101, 1 + (i % 7)));
    const chunks = partitionChunks(times.length, (i) => times[i]!);
    expect(chunks.map((c) => new Set(c.map((i) => monthOf(times[i]!))).size)).toEqual([100, 1]);
    expect(chunks.flat().sort((a, b) => a - b)).toEqual(times.map((_, i) => i));
    expect(chunks[1]!.map((i) => monthOf(times[i]!))).toEqual([201805, 201805]);
    // The same rows always split the same way (a retry reuses each part's token).
    expect(partitionChunks(times.length, (i) => times[i]!)).toEqual(chunks);
  });

  it("names the month as ClickHouse's toYYYYMM does, in UTC", () => {
    expect(monthOf(Date.UTC(2026, 10, 30, 23, 59))).toBe(202611);
    expect(monthOf(Date.UTC(2026, 11, 1))).toBe(202612);
  });
});
