/**
 * How often the push stream (and so every wallboard) sends a client its figures: at most every `minIntervalMs`
 * after a change, and at least every `refreshMs`. While the control loop advises slowing the tenant's
 * non-critical work (`core/non-critical.ts`: a level whose policy says `slowNonCritical`, L1+ by default), both
 * waits are {@link SLOW_PUSH_FACTOR} times longer: a screen still moves, the process and the network carry a
 * quarter of the pushes. Pure functions of the time; the stream arms its timers with them.
 */

/** How many times longer a slowed tenant's screens wait between pushes (500 ms → 2 s after a change, 2 s → 8 s refresh). */
export const SLOW_PUSH_FACTOR = 4;

/**
 * ms until the next push may go, after a change.
 * @param lastSentAt when the client got its last push, epoch ms
 * @param now epoch ms
 * @param minIntervalMs least time between two pushes at normal pace, ms
 * @param slowed whether the tenant's non-critical work is slowed now
 */
export function pushDelay(lastSentAt: number, now: number, minIntervalMs: number, slowed: boolean): number {
  return Math.max(0, lastSentAt + minIntervalMs * (slowed ? SLOW_PUSH_FACTOR : 1) - now);
}

/**
 * Whether a push is due without a change (the periodic refresh), checked every `refreshMs`.
 * @param lastSentAt when the client got its last push, epoch ms
 * @param now epoch ms
 * @param refreshMs the refresh period at normal pace, ms
 * @param slowed whether the tenant's non-critical work is slowed now
 */
export function refreshDue(lastSentAt: number, now: number, refreshMs: number, slowed: boolean): boolean {
  return !slowed || now - lastSentAt >= refreshMs * SLOW_PUSH_FACTOR;
}
