/**
 * An adaptive concurrency limiter for one channel: the limit adapts from RTT
 * (Gradient2, see `gradient.ts`) with AIMD for drops; priority classes get
 * guaranteed shares once the limit is reached (see `shares.ts`); after a
 * recovery the limit ramps up linearly from `minLimit` over `warmupMs`.
 * Rejection is immediate: a caller that gets `null` fails over at once.
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock } from '../../adapters/clock.js';
import { PRIORITIES } from '../types.js';
import type { Priority } from '../types.js';
import { checkNumber, configError, controlError } from '../errors.js';
import { initialLimitState, onDropSample, onRttSample, resolveLimitConfig } from './gradient.js';
import type { LimitConfig, LimitState } from './gradient.js';
import { DEFAULT_SHARES, admits } from './shares.js';
import type { Shares } from './shares.js';

/** Limiter options. */
export interface LimiterConfig extends LimitConfig {
  /** Guaranteed fraction of the limit per class; the sum must be ≤ 1. */
  readonly shares: Shares;
  /** Shares stay enforced this long after the limit was last reached, ms. */
  readonly contentionMs: number;
  /** Length of the ramp after {@link AdaptiveLimiter.warmUp}, ms. */
  readonly warmupMs: number;
}

/** Serialised limiter. */
export interface LimiterJSON {
  readonly v: 1;
  readonly limit: LimitState;
  /** Start of the current warm-up, epoch ms, or null. */
  readonly warmStart: number | null;
}

/** A slot held by one call. */
export interface LimiterPermit {
  readonly priority: Priority;
  /** Epoch ms. */
  readonly startedAt: number;
}

class Slot implements LimiterPermit {
  released = false;
  constructor(
    readonly owner: AdaptiveLimiter,
    readonly priority: Priority,
    readonly rank: number,
    readonly startedAt: number,
  ) {}
}

/**
 * Validates limiter options.
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field
 */
export function resolveLimiterConfig(partial: Partial<LimiterConfig> = {}): LimiterConfig {
  const { shares, contentionMs, warmupMs, ...limit } = partial;
  const base = resolveLimitConfig(limit);
  const s = { ...DEFAULT_SHARES, ...(shares ?? {}) };
  let sum = 0;
  for (const [k, v] of Object.entries(s)) {
    if (!(PRIORITIES as readonly string[]).includes(k)) configError(`limiter.shares.${k}`, 'a priority class', k);
    sum += checkNumber(`limiter.shares.${k}`, v, { min: 0, max: 1 });
  }
  if (sum > 1 + 1e-9) configError('limiter.shares', 'fractions summing to ≤ 1', s);
  return Object.freeze({
    ...base,
    shares: Object.freeze(s),
    contentionMs: checkNumber('limiter.contentionMs', contentionMs ?? 1_000, { int: true, min: 0 }),
    warmupMs: checkNumber('limiter.warmupMs', warmupMs ?? 30_000, { int: true, min: 0 }),
  });
}

/** See the module comment. */
export class AdaptiveLimiter {
  /** Resolved options. */
  readonly config: LimiterConfig;
  readonly #clock: Clock;
  readonly #inflight = new Uint32Array(PRIORITIES.length);
  #total = 0;
  #state: LimitState;
  #contentionUntil = Number.NEGATIVE_INFINITY;
  #warmStart: number | null = null;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` / `SLUICE_ERR_CONTROL_STATE_INVALID` */
  constructor(config: Partial<LimiterConfig> = {}, clock: Clock = systemClock, state?: LimiterJSON) {
    this.config = resolveLimiterConfig(config);
    this.#clock = clock;
    this.#state = initialLimitState(this.config);
    if (state !== undefined) {
      const l = state?.limit;
      const valid =
        state.v === 1 &&
        typeof l?.limit === 'number' &&
        Number.isFinite(l.longRtt) &&
        Number.isInteger(l.samples) &&
        (state.warmStart === null || Number.isFinite(state.warmStart));
      if (!valid)
        throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', 'limiter JSON needs v 1, limit {limit, longRtt, samples} and warmStart');
      this.#state = { ...l, limit: Math.max(this.config.minLimit, Math.min(this.config.maxLimit, l.limit)) };
      this.#warmStart = state.warmStart;
    }
  }

  /** Effective limit now, calls (integer ≥ 1): the adaptive limit, ramped during warm-up. */
  get limit(): number {
    return this.#limitAt(this.#clock.now());
  }

  /** Calls in flight. */
  get inflight(): number {
    return this.#total;
  }

  /** Calls in flight of one class. */
  inflightOf(priority: Priority): number {
    return this.#inflight[PRIORITIES.indexOf(priority)] ?? 0;
  }

  /**
   * Asks for a slot for a call of `priority`. Never waits.
   * @returns a permit to hand back with the outcome, or null (fail over now)
   */
  tryAcquire(priority: Priority): LimiterPermit | null {
    const rank = PRIORITIES.indexOf(priority);
    if (rank < 0) return null;
    const now = this.#clock.now();
    const limit = this.#limitAt(now);
    if (this.#total >= limit) this.#contentionUntil = now + this.config.contentionMs;
    if (!admits(this.#inflight, this.#total, limit, this.config.shares, now < this.#contentionUntil, rank)) return null;
    this.#inflight[rank]! += 1;
    this.#total += 1;
    return new Slot(this, priority, rank, now);
  }

  /**
   * The call succeeded.
   * @param rttMs its round-trip time, ms; default measured from the permit. With no usable RTT (≤ 0), AIMD increases the limit instead.
   */
  onSuccess(permit: LimiterPermit, rttMs?: number): void {
    const inflight = this.#total;
    if (!this.#release(permit)) return;
    const rtt = rttMs ?? this.#clock.now() - permit.startedAt;
    this.#state = onRttSample(this.#state, rtt, inflight, this.config);
  }

  /** The call hit an overload signal (timeout, "busy" answer): the limit backs off. */
  onDrop(permit: LimiterPermit): void {
    if (this.#release(permit)) this.#state = onDropSample(this.#state, this.config);
  }

  /** The call failed for a reason unrelated to load: the slot is freed, the limit unchanged. */
  onIgnore(permit: LimiterPermit): void {
    this.#release(permit);
  }

  /** Starts a warm-up ramp (call it when the channel's breaker closes after an outage). */
  warmUp(): void {
    this.#warmStart = this.#clock.now();
  }

  /** Plain copy of the adaptive state (in-flight calls are not saved: they belong to this process). */
  toJSON(): LimiterJSON {
    return { v: 1, limit: this.#state, warmStart: this.#warmStart };
  }

  #limitAt(now: number): number {
    let limit = this.#state.limit;
    if (this.#warmStart !== null) {
      const elapsed = now - this.#warmStart;
      if (elapsed >= this.config.warmupMs) this.#warmStart = null;
      else {
        const min = this.config.minLimit;
        limit = Math.min(limit, min + (Math.max(limit, min) - min) * (Math.max(0, elapsed) / this.config.warmupMs));
      }
    }
    return Math.max(1, Math.floor(limit));
  }

  #release(permit: LimiterPermit): boolean {
    const slot = permit as Partial<Slot>;
    if (slot.owner !== this || slot.released !== false) return false;
    slot.released = true;
    this.#inflight[slot.rank!]! -= 1;
    this.#total -= 1;
    return true;
  }
}
