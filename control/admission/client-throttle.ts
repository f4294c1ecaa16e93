/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"), used to
 * spill calls from the primary CTI to the backup before the primary drowns.
 *
 * Over a sliding window (default 2 min) the client counts `requests` (every
 * attempt, counted BEFORE it is sent, including the ones this throttle spills)
 * and `accepts` (counted only AFTER the primary answered successfully). A new
 * attempt is spilled with probability
 *
 *     max(0, (requests − K · accepts) / (requests + 1))
 *
 * With K = 2 the primary keeps receiving about twice what it accepts, so it is
 * never starved of the traffic it needs to show that it recovered.
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock } from '../../adapters/clock.js';
import type { Random } from '../types.js';
import { configError, resolveConfig } from '../errors.js';

/** Throttle options. */
export interface ClientThrottleConfig {
  /** Multiplier K (≥ 1): lower is more aggressive. */
  readonly k: number;
  /** Window length, ms; a multiple of `buckets`. */
  readonly windowMs: number;
  /** Buckets in the window ring. */
  readonly buckets: number;
}

/** Defaults: K = 2 over a 2-minute window of 12 buckets. */
export const DEFAULT_CLIENT_THROTTLE_CONFIG: ClientThrottleConfig = Object.freeze({ k: 2, windowMs: 120_000, buckets: 12 });

/** The SRE rejection probability for window totals. */
export function rejectProbability(requests: number, accepts: number, k: number): number {
  return Math.max(0, (requests - k * accepts) / (requests + 1));
}

/** Where one attempt goes. */
export type ThrottleRoute = 'primary' | 'spill';

/** See the module comment. */
export class ClientThrottle {
  /** Resolved options. */
  readonly config: ClientThrottleConfig;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #bucketMs: number;
  readonly #requests: Uint32Array;
  readonly #accepts: Uint32Array;
  #head = Number.NEGATIVE_INFINITY;
  #tRequests = 0;
  #tAccepts = 0;

  /**
   * @param random uniform source in [0, 1) (default `Math.random`)
   * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field
   */
  constructor(config: Partial<ClientThrottleConfig> = {}, clock: Clock = systemClock, random: Random = Math.random) {
    this.config = resolveConfig('throttle', DEFAULT_CLIENT_THROTTLE_CONFIG, config, {
      k: { min: 1 },
      windowMs: { int: true, min: 1 },
      buckets: { int: true, min: 1, max: 1000 },
    });
    if (this.config.windowMs % this.config.buckets !== 0)
      configError('throttle.windowMs', 'a multiple of throttle.buckets', this.config.windowMs);
    this.#clock = clock;
    this.#random = random;
    this.#bucketMs = this.config.windowMs / this.config.buckets;
    this.#requests = new Uint32Array(this.config.buckets);
    this.#accepts = new Uint32Array(this.config.buckets);
  }

  /**
   * Counts one attempt (before sending) and says where it goes.
   * `'primary'`: send it, and call {@link onAccept} if the primary succeeds.
   * `'spill'`: send it to the backup instead.
   */
  route(): ThrottleRoute {
    const slot = this.#advance(this.#clock.now());
    const p = rejectProbability(this.#tRequests, this.#tAccepts, this.config.k);
    this.#requests[slot]! += 1;
    this.#tRequests += 1;
    return p > 0 && this.#random() < p ? 'spill' : 'primary';
  }

  /** Counts a success of the primary (only after it answered). */
  onAccept(): void {
    const slot = this.#advance(this.#clock.now());
    this.#accepts[slot]! += 1;
    this.#tAccepts += 1;
  }

  /**
   * Takes back one attempt that said nothing about the primary (the caller left first, the proxy did not
   * place it): counted neither as a request nor as an accept. Taken from the newest bucket holding one.
   */
  forget(): void {
    this.#advance(this.#clock.now());
    const n = this.config.buckets;
    for (let i = 0; i < n; i++) {
      const s = ((((this.#head - i) % n) + n) % n) as number;
      if (this.#requests[s]! > 0) {
        this.#requests[s]! -= 1;
        this.#tRequests -= 1;
        return;
      }
    }
  }

  /** Spill probability for the next attempt, [0, 1). */
  probability(): number {
    this.#advance(this.#clock.now());
    return rejectProbability(this.#tRequests, this.#tAccepts, this.config.k);
  }

  /** Window totals. */
  totals(): { requests: number; accepts: number } {
    this.#advance(this.#clock.now());
    return { requests: this.#tRequests, accepts: this.#tAccepts };
  }

  #advance(now: number): number {
    const n = this.config.buckets;
    const epoch = Math.floor(now / this.#bucketMs);
    if (epoch > this.#head) {
      if (epoch - this.#head >= n) {
        this.#requests.fill(0);
        this.#accepts.fill(0);
        this.#tRequests = this.#tAccepts = 0;
      } else {
        for (let e = this.#head + 1; e <= epoch; e++) {
          const s = ((e % n) + n) % n;
          this.#tRequests -= this.#requests[s]!;
          this.#tAccepts -= this.#accepts[s]!;
          this.#requests[s] = this.#accepts[s] = 0;
        }
      }
      this.#head = epoch;
    }
    return ((this.#head % n) + n) % n;
  }
}
