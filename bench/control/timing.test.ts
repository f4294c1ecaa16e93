import { describe, expect, it } from 'vitest';
import { interleaved, median, type Subject } from './timing.js';

/** A clock that only moves when a subject says so: batches "cost" exactly what they add. */
function fakeClock() {
  let t = 0n;
  return { now: () => t, spend: (ns: number) => void (t += BigInt(ns)) };
}

describe('median', () => {
  it('takes the middle of an odd sample and the mean of the two middles of an even one, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});

describe('interleaved', () => {
  it('reports each subject per call (batch time / perBatch), not counting its untimed after()', async () => {
    const clock = fakeClock();
    const subjects: Subject[] = [
      { name: 'cheap', perBatch: 10, batches: 3, batch: () => clock.spend(1_000), after: () => clock.spend(1_000_000) },
      { name: 'dear', perBatch: 4, batches: 3, batch: async () => clock.spend(2_000) },
    ];
    const m = await interleaved(subjects, 5, clock.now);
    expect(m).toEqual({ cheap: 100, dear: 500 });
  });

  it('runs one warm-up round, then the subjects in turn round after round, so a baseline among them sees the same machine', async () => {
    const order: string[] = [];
    const subject = (name: string): Subject => ({ name, perBatch: 1, batches: 2, batch: () => void order.push(name) });
    await interleaved([subject('baseline'), subject('subject')], 2, fakeClock().now);
    expect(order).toEqual([
      'baseline',
      'baseline',
      'subject',
      'subject',
      ...Array.from({ length: 2 }, () => ['baseline', 'baseline', 'subject', 'subject']).flat(),
    ]);
  });

  it('takes the median over batches, so one slow batch (a GC pause) does not move the figure', async () => {
    const clock = fakeClock();
    let n = 0;
    const m = await interleaved(
      [{ name: 's', perBatch: 1, batches: 5, batch: () => clock.spend(++n === 8 ? 1_000_000 : 50) }],
      3,
      clock.now,
    );
    expect(m.s).toBe(50);
  });
});
