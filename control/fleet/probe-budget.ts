/**
 * The fleet-wide probe budget over the StateStore: one counter per breaker
 * trial, `incrBy(key, 1, ttl)` (the TTL is set when the key is created, in the
 * same atomic step), a slot granted while the count is ≤ the limit. Answers
 * asynchronously and is never awaited by a route: the core's probe gate rejects
 * the current call and hands a granted slot to the next one; an error or a
 * timeout makes the gate fall back to a local budget for the rest of the trial.
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import type { ProbeBudget } from '../breaker/probe-budget.js';
import { bounded } from './guard.js';
import { probeKey } from './keys.js';

/** See the module comment. */
export class StateStoreProbeBudget implements ProbeBudget {
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  /** @param timeoutMs longest wait for the store, ms (default 250) */
  constructor(store: StateStore, clock: Clock, timeoutMs = 250) {
    this.#store = store;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** {@inheritDoc ProbeBudget.tryAcquire} */
  async tryAcquire(breakerId: string, trial: number, limit: number, ttlMs: number): Promise<boolean> {
    const n = await bounded(this.#clock, this.#timeoutMs, 'probe budget', () => this.#store.incrBy(probeKey(breakerId, trial), 1, ttlMs));
    return n <= limit;
  }
}
