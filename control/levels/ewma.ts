/**
 * Time-aware exponentially weighted moving averages for irregular samples,
 * e.g. the offered-call rate fed to the pressure score.
 */

/**
 * One EWMA step over an interval of `dtMs`: the weight of the old value halves
 * every `halfLifeMs`, so the result does not depend on how often it is sampled.
 * @param dtMs time since the previous value, ms (≤ 0 keeps `prev`)
 * @param halfLifeMs half-life, ms (> 0)
 */
export function ewmaStep(prev: number, sample: number, dtMs: number, halfLifeMs: number): number {
  if (!(dtMs > 0)) return prev;
  const keep = 2 ** (-dtMs / halfLifeMs);
  return prev * keep + sample * (1 - keep);
}

/** Serialised {@link RateEwma}. */
export interface RateEwmaJSON {
  readonly rate: number;
  readonly at: number | null;
  readonly pending: number;
}

/**
 * A rate (events per minute) from event counts: `observe` adds events, `ratePerMin`
 * folds the events since the previous fold into the average as a rate over that
 * interval. A plain state object, so it can be saved and restored.
 */
export class RateEwma {
  readonly #halfLifeMs: number;
  #rate = 0;
  #at: number | null = null;
  #pending = 0;

  /** @param halfLifeMs half-life of the average, ms (default 60 s) */
  constructor(halfLifeMs = 60_000, state?: RateEwmaJSON) {
    this.#halfLifeMs = halfLifeMs;
    if (state !== undefined) {
      this.#rate = state.rate;
      this.#at = state.at;
      this.#pending = state.pending;
    }
  }

  /**
   * Counts `n` events at `now` (epoch ms).
   * @param n number of events (default 1)
   */
  observe(now: number, n = 1): void {
    if (this.#at === null) this.#at = now;
    this.#pending += n;
  }

  /** The averaged rate at `now` (epoch ms), events per minute. */
  ratePerMin(now: number): number {
    if (this.#at === null) return 0;
    const dt = now - this.#at;
    if (dt <= 0) return this.#rate;
    this.#rate = ewmaStep(this.#rate, (this.#pending * 60_000) / dt, dt, this.#halfLifeMs);
    this.#pending = 0;
    this.#at = now;
    return this.#rate;
  }

  /** Plain copy of the state. */
  toJSON(): RateEwmaJSON {
    return { rate: this.#rate, at: this.#at, pending: this.#pending };
  }
}
