/**
 * Time as a port. Domain code never reads `Date.now()` or calls `setTimeout`
 * itself: it is handed a {@link Clock}, so every time-dependent unit
 * (breakers, hysteresis, SLA timers, flush timers) runs in virtual time in tests.
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer created by {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** The wall clock, backed by `Date.now()` and Node timers (unref'd: a timer never keeps the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return t as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface PendingTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to: `advance(ms)` fires every timer that
 * falls due, in due order (ties in creation order), with `now()` set to each
 * timer's due time while it runs.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, PendingTimer>();

  /** @param start initial time, epoch ms */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    if (id !== undefined) this.#timers.delete(id);
  }

  /** Number of timers not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms` milliseconds, firing due timers on the way. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  /** Moves time to `t` (epoch ms), firing due timers on the way; never moves backwards. */
  advanceTo(t: number): void {
    for (;;) {
      let next: PendingTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.due <= t && (!next || timer.due < next.due || (timer.due === next.due && timer.id < next.id))) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = Math.max(this.#now, t);
  }
}

/**
 * Lets in-flight promise chains finish: `rounds` turns of the event loop, so the work a fired timer
 * started (an in-memory store call, a log flush, the next tick's re-arm) completes before the test
 * looks. For virtual-time tests and scenarios on a {@link ManualClock}.
 *
 * @param rounds event-loop turns (`setImmediate`), default 8
 */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * Advances a {@link ManualClock} by `ms` in steps of `stepMs`, settling after each step, so async
 * pollers armed on the clock get to re-arm. Everything due up to and including the end instant is
 * processed.
 *
 * @param ms total virtual time to pass, ms
 * @param stepMs step size, ms (default 1000); due times on step boundaries are hit exactly
 * @param rounds event-loop turns after each step (see {@link settle}), default 8
 */
export async function runFor(clock: ManualClock, ms: number, stepMs = 1_000, rounds = 8): Promise<void> {
  const end = clock.now() + ms;
  await settle(rounds);
  while (clock.now() < end) {
    clock.advance(Math.min(stepMs, end - clock.now()));
    await settle(rounds);
  }
  // A poller that re-armed for `end` itself during the last settle still gets its turn.
  clock.advance(0);
  await settle(rounds);
}
