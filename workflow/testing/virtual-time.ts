import type { ManualClock } from '../../adapters/clock.js';

/** Lets every pending promise continuation run (in-memory stores resolve within one turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Advances a {@link ManualClock} by `ms` in steps of `stepMs`, flushing promise
 * continuations after each step, so async pollers armed on the clock get to re-arm.
 * Everything due up to and including the end instant is processed.
 *
 * @param ms total virtual time to pass, ms
 * @param stepMs step size, ms (default 1000); due times on step boundaries are hit exactly
 */
export async function runFor(clock: ManualClock, ms: number, stepMs = 1_000): Promise<void> {
  const end = clock.now() + ms;
  await flush();
  while (clock.now() < end) {
    clock.advance(Math.min(stepMs, end - clock.now()));
    await flush();
  }
  // A poller that re-armed for `end` itself during the last flush still gets its turn.
  clock.advance(0);
  await flush();
}
