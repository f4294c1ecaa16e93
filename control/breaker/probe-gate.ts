/**
 * The breaker's side of the probe budget for one half-open trial: asks the
 * (possibly shared, possibly asynchronous) budget for slots without ever making
 * a caller wait, and falls back to a local budget when the shared one fails.
 */
import type { ProbeBudget } from './probe-budget.js';

/** Probe-slot bookkeeping for the current breaker generation. */
export class ProbeGate {
  readonly #budget: ProbeBudget;
  readonly #fallback: ProbeBudget;
  #gen = -1;
  /** Slots granted asynchronously and not used yet. */
  #granted = 0;
  #pending = false;
  #exhausted = false;
  #failed = false;

  /**
   * @param budget the configured budget (may be shared and asynchronous)
   * @param fallback a local, synchronous budget used for the rest of a trial once `budget` fails (fail-static: recovery must not stall while Redis is down)
   */
  constructor(budget: ProbeBudget, fallback: ProbeBudget) {
    this.#budget = budget;
    this.#fallback = fallback;
  }

  /** Forgets everything about the previous generation. */
  reset(gen: number): void {
    this.#gen = gen;
    this.#granted = 0;
    this.#pending = false;
    this.#exhausted = false;
    this.#failed = false;
  }

  /** A slot taken for generation `gen` was not used: the next call of that generation gets it without asking the budget. */
  giveBack(gen: number): void {
    if (gen === this.#gen) this.#granted += 1;
  }

  /**
   * Tries to take one slot for trial `trial` of generation `gen`. Never waits:
   * when the budget answers asynchronously this call gets `false` and the slot,
   * if granted, goes to the next call.
   * @param limit slots per trial
   * @param ttlMs budget lifetime, ms
   */
  tryTake(breakerId: string, gen: number, trial: number, limit: number, ttlMs: number): boolean {
    if (gen !== this.#gen) this.reset(gen);
    if (this.#granted > 0) {
      this.#granted -= 1;
      return true;
    }
    if (this.#pending || this.#exhausted) return false;
    let answer: boolean | Promise<boolean>;
    try {
      answer = (this.#failed ? this.#fallback : this.#budget).tryAcquire(breakerId, trial, limit, ttlMs);
    } catch {
      if (this.#failed) return false;
      this.#failed = true;
      return this.tryTake(breakerId, gen, trial, limit, ttlMs);
    }
    if (answer === true) return true;
    if (answer === false) {
      this.#exhausted = true;
      return false;
    }
    this.#pending = true;
    answer.then(
      (ok) => {
        if (this.#gen !== gen) return;
        this.#pending = false;
        if (ok) this.#granted += 1;
        else this.#exhausted = true;
      },
      () => {
        if (this.#gen !== gen) return;
        this.#pending = false;
        this.#failed = true;
      },
    );
    return false;
  }
}
