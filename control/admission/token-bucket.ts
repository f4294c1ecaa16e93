/**
 * A token bucket: `ratePerSec` tokens per second, at most `burst` stored.
 * Admission per tenant at L2 and above. The refill is a pure function of
 * (state, now); the class keeps the state in two numbers, so a take costs no
 * allocation.
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock } from '../../adapters/clock.js';
import { controlError, resolveConfig } from '../errors.js';

/** Bucket options. */
export interface TokenBucketConfig {
  /** Refill rate, tokens per second (≥ 0). */
  readonly ratePerSec: number;
  /** Capacity, tokens (> 0). */
  readonly burst: number;
}

/** Bucket state: tokens held at time `at` (epoch ms). */
export interface TokenBucketState {
  readonly tokens: number;
  readonly at: number;
}

/**
 * Validates bucket options.
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field
 */
export function resolveTokenBucketConfig(c: TokenBucketConfig): TokenBucketConfig {
  return resolveConfig('tokenBucket', { ratePerSec: 0, burst: 1 }, c, { ratePerSec: { min: 0 }, burst: { gt: 0 } });
}

/** Tokens held at `now` (epoch ms), from `state`; a clock that goes backwards adds nothing. */
export function refill(state: TokenBucketState, now: number, cfg: TokenBucketConfig): TokenBucketState {
  const dt = now - state.at;
  if (dt <= 0) return state;
  return { tokens: Math.min(cfg.burst, state.tokens + (dt * cfg.ratePerSec) / 1_000), at: now };
}

/** See the module comment. */
export class TokenBucket {
  #cfg: TokenBucketConfig;
  readonly #clock: Clock;
  #tokens: number;
  #at: number;

  /**
   * @param state saved state; default a full bucket
   * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on bad options, `SLUICE_ERR_CONTROL_STATE_INVALID` on a bad state
   */
  constructor(config: TokenBucketConfig, clock: Clock = systemClock, state?: TokenBucketState) {
    this.#cfg = resolveTokenBucketConfig(config);
    this.#clock = clock;
    if (state !== undefined && !(Number.isFinite(state.tokens) && state.tokens >= 0 && Number.isFinite(state.at))) {
      throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', 'tokenBucket state needs finite tokens ≥ 0 and at');
    }
    this.#tokens = Math.min(this.#cfg.burst, state?.tokens ?? this.#cfg.burst);
    this.#at = state?.at ?? clock.now();
  }

  /** Current options. */
  get config(): TokenBucketConfig {
    return this.#cfg;
  }

  /**
   * Takes `n` tokens if available.
   * @param n tokens (default 1)
   * @returns whether they were taken
   */
  tryTake(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Tokens available now. */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Milliseconds until `n` tokens are available (0 = now); Infinity when they never will be (n > burst, or no refill).
   * @param n tokens (default 1)
   */
  msUntil(n = 1): number {
    this.#refill();
    if (this.#tokens >= n) return 0;
    if (n > this.#cfg.burst || this.#cfg.ratePerSec === 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((n - this.#tokens) * 1_000) / this.#cfg.ratePerSec);
  }

  /** Changes rate and burst (e.g. on a level change); tokens held are kept, capped at the new burst. */
  reconfigure(config: TokenBucketConfig): void {
    this.#refill();
    this.#cfg = resolveTokenBucketConfig(config);
    this.#tokens = Math.min(this.#tokens, this.#cfg.burst);
  }

  /** Plain copy of the state. */
  toJSON(): TokenBucketState {
    this.#refill();
    return { tokens: this.#tokens, at: this.#at };
  }

  #refill(): void {
    const now = this.#clock.now();
    const dt = now - this.#at;
    if (dt <= 0) return;
    this.#tokens = Math.min(this.#cfg.burst, this.#tokens + (dt * this.#cfg.ratePerSec) / 1_000);
    this.#at = now;
  }
}
