/**
 * The probe budget: how many calls one half-open trial may let through. A port,
 * so the budget can be fleet-wide (Redis: `INCR` + `PEXPIRE` in one script) or
 * per process (the in-memory twin here).
 */
import type { Clock } from '../../adapters/clock.js';
import { systemClock } from '../../adapters/clock.js';

/** A budget of probe slots per breaker trial. */
export interface ProbeBudget {
  /**
   * Takes one slot from the budget of trial `trial` of breaker `breakerId`. The
   * budget holds at most `limit` slots and is forgotten `ttlMs` after its first
   * slot was taken. Must be atomic across every caller that shares the budget:
   * two callers may never both get the last slot. May answer asynchronously; the
   * breaker then rejects the current call and hands the slot to the next one.
   * @param trial identifies one half-open trial (epoch ms at which it became due), so a new trial gets a fresh budget
   * @param limit slots in the budget, ≥ 1
   * @param ttlMs lifetime of the budget, ms
   * @returns whether a slot was granted
   */
  tryAcquire(breakerId: string, trial: number, limit: number, ttlMs: number): boolean | Promise<boolean>;
}

interface Entry {
  used: number;
  expiresAt: number;
}

/** Sweep expired entries when the map grows past this many. */
const SWEEP_AT = 256;

/**
 * In-memory probe budget: exact within one process (JavaScript runs the check
 * and the increment without interleaving), so it is also the reference twin for
 * a shared implementation's contract test.
 */
export class InMemoryProbeBudget implements ProbeBudget {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  /** @param clock time source for expiry */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** {@inheritDoc ProbeBudget.tryAcquire} */
  tryAcquire(breakerId: string, trial: number, limit: number, ttlMs: number): boolean {
    const now = this.#clock.now();
    const key = `${breakerId}@${trial}`;
    let e = this.#entries.get(key);
    if (e === undefined || e.expiresAt <= now) {
      if (this.#entries.size >= SWEEP_AT) this.#sweep(now);
      e = { used: 0, expiresAt: now + ttlMs };
      this.#entries.set(key, e);
    }
    if (e.used >= limit) return false;
    e.used += 1;
    return true;
  }

  /** Number of live budgets (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #sweep(now: number): void {
    for (const [key, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(key);
  }
}
