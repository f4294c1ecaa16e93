import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_SHARES, admits } from './shares.js';

const arb = fc.record({
  inflight: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 4, maxLength: 4 }),
  limit: fc.integer({ min: 1, max: 100 }),
  contention: fc.boolean(),
});

describe('share admission', () => {
  it('is work-conserving until contention', () => {
    expect(admits([0, 0, 0, 9], 9, 10, DEFAULT_SHARES, false, 3)).toBe(true);
    expect(admits([0, 0, 0, 10], 10, 10, DEFAULT_SHARES, false, 0)).toBe(false);
  });

  it('under contention a borrower leaves room for the unused guarantees of others', () => {
    // limit 10: guarantees vip 1, high 3, normal 4, low 2. Low holds 5 (borrowing 3); others idle: 8 reserved.
    expect(admits([0, 0, 0, 5], 5, 10, DEFAULT_SHARES, true, 3)).toBe(false);
    expect(admits([0, 0, 0, 5], 5, 10, DEFAULT_SHARES, true, 0)).toBe(true);
    expect(admits([0, 0, 0, 1], 1, 10, DEFAULT_SHARES, true, 3)).toBe(true);
  });

  it('never admits at or above the limit; always admits a class below its share when a slot is free (property)', () => {
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 3 }), ({ inflight, limit, contention }, rank) => {
        const total = inflight.reduce((a, b) => a + b, 0);
        const ok = admits(inflight, total, limit, DEFAULT_SHARES, contention, rank);
        if (total >= limit) expect(ok).toBe(false);
        const share = Math.floor([0.1, 0.3, 0.4, 0.2][rank]! * limit);
        if (total < limit && inflight[rank]! < share) expect(ok).toBe(true);
      }),
    );
  });

  it('sheds the lowest class first among borrowers (property)', () => {
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 2 }), ({ inflight, limit }, higher) => {
        const total = inflight.reduce((a, b) => a + b, 0);
        const shares = [0.1, 0.3, 0.4, 0.2];
        const borrowing = (r: number): boolean => inflight[r]! >= Math.floor(shares[r]! * limit);
        // compare a higher and a lower class that are both borrowing and reserve the same guarantees for the rest
        const lower = 3;
        if (!borrowing(higher) || !borrowing(lower)) return;
        if (admits(inflight, total, limit, DEFAULT_SHARES, true, lower)) {
          expect(admits(inflight, total, limit, DEFAULT_SHARES, true, higher)).toBe(true);
        }
      }),
    );
  });
});
