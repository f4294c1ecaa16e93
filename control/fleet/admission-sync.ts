/**
 * Fleet-wide admission budgets. Each instance admits from its local token
 * bucket (the fast path) and, once per window, adds the demand it saw to a
 * shared counter for that window (`incrBy` with a TTL). From the previous
 * window's total it computes its share of the fleet's demand and scales its
 * bucket to `rate · share`, so the fleet admits about the policy's rate in
 * total, split in proportion to where the calls arrive. A share never drops
 * below `minShare` (an idle instance can still admit its first calls). When the
 * store is unreachable each instance keeps its last share (fail-static).
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import type { Admission, BucketSlot } from '../runtime/admission.js';
import { bounded } from './guard.js';
import { admissionKey } from './keys.js';

/** Options of {@link AdmissionSync}. */
export interface AdmissionSyncOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly admission: Admission;
  /** Window length, ms (the control tick). */
  readonly windowMs: number;
  readonly timeoutMs: number;
  /** Lowest share, (0, 1] (default 0.05). */
  readonly minShare?: number;
}

/** See the module comment. */
export class AdmissionSync {
  readonly #options: AdmissionSyncOptions;
  readonly #reported = new Map<string, { window: number; n: number }>();

  constructor(options: AdmissionSyncOptions) {
    this.#options = options;
  }

  /** Reports demand and rescales every active bucket. Throws when the store fails (shares stay as they are). */
  async sync(): Promise<void> {
    for (const slot of this.#options.admission.slots()) await this.#one(slot);
  }

  async #one(slot: BucketSlot): Promise<void> {
    const { store, clock, timeoutMs, windowMs } = this.#options;
    const w = Math.floor(clock.now() / windowMs);
    const demand = slot.demand;
    const mine = this.#reported.get(slot.id);
    if (demand === 0 && (mine === undefined || mine.window < w - 1) && slot.share === 1) return;
    slot.demand = 0;
    try {
      await bounded(clock, timeoutMs, 'admission demand', () => store.incrBy(admissionKey(slot.id, w), demand, 4 * windowMs));
    } catch (err) {
      slot.demand += demand;
      throw err;
    }
    const prev = Number((await bounded(clock, timeoutMs, 'admission total', () => store.get(admissionKey(slot.id, w - 1)))) ?? 0);
    const myPrev = mine !== undefined && mine.window === w - 1 ? mine.n : 0;
    this.#reported.set(slot.id, mine !== undefined && mine.window === w ? { window: w, n: mine.n + demand } : { window: w, n: demand });
    const share = prev > 0 ? Math.max(this.#options.minShare ?? 0.05, myPrev / prev) : 1;
    this.#options.admission.setShare(slot, share);
  }
}
