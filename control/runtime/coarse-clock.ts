/**
 * A clock that can be pinned for the length of one call: `pin()` reads the
 * real clock once, and until `release()` every `now()` answers that reading.
 * A routing decision asks the time in several places (throttle, limiter,
 * breakers, the record); pinned, they all see the same instant and the system
 * clock is read once (Date.now() costs ~60 ns on the benchmark machine). Timers
 * go to the real clock, and outside a pinned call `now()` is the real time.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';

/** See the module comment. */
export class CoarseClock implements Clock {
  readonly #inner: Clock;
  #pinned = false;
  #t = 0;

  /** @param inner the real (or manual) clock */
  constructor(inner: Clock) {
    this.#inner = inner;
  }

  /** {@inheritDoc Clock.now} */
  now(): number {
    return this.#pinned ? this.#t : this.#inner.now();
  }

  /** {@inheritDoc Clock.setTimeout} */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#inner.setTimeout(fn, ms);
  }

  /** {@inheritDoc Clock.clearTimeout} */
  clearTimeout(handle: TimerHandle): void {
    this.#inner.clearTimeout(handle);
  }

  /** Reads the real clock and answers that time until {@link release}; returns it (epoch ms). Nested pins keep the outer reading. */
  pin(): number {
    if (!this.#pinned) {
      this.#t = this.#inner.now();
      this.#pinned = true;
    }
    return this.#t;
  }

  /** Ends the pinned call. */
  release(): void {
    this.#pinned = false;
  }
}
