/**
 * Guaranteed shares per priority class, as one pure predicate.
 *
 * Below the limit the limiter is work-conserving: any class may use any free
 * slot. Once the limit has been reached (contention), shares are enforced:
 *
 * - a class below its guaranteed share (⌊share · limit⌋ slots) is admitted
 *   whenever a slot is free;
 * - a class at or above its share may only borrow what is left after the unused
 *   guarantees of every other class are set aside, and it needs `rank` spare
 *   slots beyond that (rank 0 = vip … 3 = low). As spare capacity shrinks the
 *   lowest class stops borrowing first, then the next, and vip last.
 *
 * Nothing is ever admitted at or above the limit, and calls in flight are never
 * pre-empted: a class that borrowed drains as its calls finish.
 */
import { PRIORITIES } from '../types.js';
import type { Priority } from '../types.js';

/** Fraction of the limit guaranteed to each class; the sum is ≤ 1. */
export type Shares = Readonly<Record<Priority, number>>;

/** Default shares: vip 10 %, high 30 %, normal 40 %, low 20 %. */
export const DEFAULT_SHARES: Shares = Object.freeze({ vip: 0.1, high: 0.3, normal: 0.4, low: 0.2 });

/**
 * Whether one more call of class `rank` may start.
 * @param inflight calls in flight per class, indexed by rank (see {@link PRIORITIES})
 * @param total sum of `inflight`
 * @param limit current limit, calls (integer)
 * @param contention whether shares are enforced (the limit was reached recently)
 */
export function admits(
  inflight: ArrayLike<number>,
  total: number,
  limit: number,
  shares: Shares,
  contention: boolean,
  rank: number,
): boolean {
  if (total >= limit) return false;
  if (!contention) return true;
  const own = inflight[rank] ?? 0;
  if (own < Math.floor(shares[PRIORITIES[rank]!] * limit)) return true;
  let reserved = 0;
  for (let d = 0; d < PRIORITIES.length; d++) {
    if (d === rank) continue;
    const unused = Math.floor(shares[PRIORITIES[d]!] * limit) - (inflight[d] ?? 0);
    if (unused > 0) reserved += unused;
  }
  return limit - total - reserved > rank;
}
