/**
 * Leadership by lease: every instance asks for the lease each tick; the holder
 * renews it, anybody else gets it once it expires (within `leaseMs` of the
 * holder's last renewal). A new leader takes a fresh epoch from a shared
 * counter so followers can tell its messages from a deposed leader's.
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import { bounded } from './guard.js';
import { KEYS } from './keys.js';

/** Outcome of one lease round. */
export interface LeaseRound {
  /** This instance holds the lease now. */
  readonly leader: boolean;
  /** The store answered (false: unreachable or too slow; fail static). */
  readonly ok: boolean;
  /** This instance has just become leader. */
  readonly became: boolean;
  /** This instance has just lost the lease. */
  readonly lost: boolean;
}

/** See the module comment. */
export class LeaderLease {
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #timeoutMs: number;
  #leader = false;
  #epoch = 0;

  /**
   * @param owner this instance's tag (unique per process lifetime)
   * @param leaseMs lease duration, ms
   * @param timeoutMs longest wait for the store, ms
   */
  constructor(store: StateStore, clock: Clock, owner: string, leaseMs: number, timeoutMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#owner = owner;
    this.#leaseMs = leaseMs;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether this instance held the lease at the last round. */
  get leader(): boolean {
    return this.#leader;
  }

  /** Epoch of this instance's leadership (0 when never leader). */
  get epoch(): number {
    return this.#epoch;
  }

  /** Takes or renews the lease. Never throws. */
  async round(): Promise<LeaseRound> {
    let held: boolean;
    try {
      held = await bounded(this.#clock, this.#timeoutMs, 'lease', () => this.#store.acquireLease(KEYS.leader, this.#owner, this.#leaseMs));
    } catch {
      return { leader: this.#leader, ok: false, became: false, lost: false };
    }
    const became = held && !this.#leader;
    const lost = !held && this.#leader;
    this.#leader = held;
    if (became) {
      try {
        this.#epoch = await bounded(this.#clock, this.#timeoutMs, 'epoch', () => this.#store.incrBy(KEYS.epoch, 1));
      } catch {
        this.#epoch += 1;
      }
    }
    return { leader: held, ok: true, became, lost };
  }

  /** Gives the lease up (orderly shutdown), so another instance takes over at its next tick. */
  async release(): Promise<void> {
    if (!this.#leader) return;
    this.#leader = false;
    await bounded(this.#clock, this.#timeoutMs, 'release', () => this.#store.releaseLease(KEYS.leader, this.#owner)).catch(() => {});
  }

  /** Forgets leadership without telling the store (a crash, for tests). */
  abandon(): void {
    this.#leader = false;
  }
}
