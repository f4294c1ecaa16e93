/**
 * Admission for one control instance:
 *
 * - a token bucket per tenant and level for the agent channel (the policy's
 *   `admission` of that level; requests routed at L2 draw from the tenant's L2
 *   bucket). The local bucket is the fast path; {@link AdmissionSync} scales
 *   its rate to this instance's share of the fleet's demand each window.
 * - an adaptive concurrency limiter per target (each CTI node, each channel):
 *   a decision holds a slot until its outcome (or until it expires).
 * - the SRE client-side throttle per primary CTI node, spilling to the backup.
 */
import type { Clock } from '../../adapters/clock.js';
import { ClientThrottle } from '../admission/client-throttle.js';
import type { ClientThrottleConfig } from '../admission/client-throttle.js';
import { AdaptiveLimiter } from '../admission/limiter.js';
import type { LimiterConfig } from '../admission/limiter.js';
import { TokenBucket } from '../admission/token-bucket.js';
import type { LevelPolicy } from '../policy/schema.js';
import type { Level, Random } from '../types.js';

/** One tenant+level bucket and its fleet bookkeeping. */
export interface BucketSlot {
  /** `tenant|L2`. */
  readonly id: string;
  readonly bucket: TokenBucket;
  /** The policy's fleet-wide rate and burst. */
  config: { readonly ratePerSec: number; readonly burst: number };
  /** This instance's share of the fleet rate, (0, 1]. */
  share: number;
  /** Requests since the last report to the fleet counter. */
  demand: number;
  /** Requests refused so far. */
  refused: number;
}

/** Options of {@link Admission}. */
export interface AdmissionOptions {
  readonly clock: Clock;
  readonly random?: Random;
  /** Targets that get a concurrency limiter (breaker keys). */
  readonly limiterKeys: Iterable<string>;
  readonly limiter?: Partial<LimiterConfig>;
  readonly throttle?: Partial<ClientThrottleConfig>;
}

/** See the module comment. */
export class Admission {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #slots = new Map<string, (BucketSlot | undefined)[]>();
  readonly #limiters = new Map<string, AdaptiveLimiter>();
  readonly #throttles = new Map<string, ClientThrottle>();
  readonly #throttleConfig: Partial<ClientThrottleConfig>;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad limiter or throttle option */
  constructor(options: AdmissionOptions) {
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
    for (const key of options.limiterKeys) this.#limiters.set(key, new AdaptiveLimiter(options.limiter ?? {}, options.clock));
    this.#throttleConfig = options.throttle ?? {};
    // Validate the throttle options at the door, not on the first call.
    new ClientThrottle(this.#throttleConfig, options.clock, this.#random);
  }

  /**
   * Takes a token for a call of `tenant` routed at `level` towards agents.
   * @returns whether the call is admitted (always true when the level has no admission limit)
   */
  admit(tenant: string, level: Level, policy: LevelPolicy): boolean {
    const cfg = policy.admission;
    if (cfg === null) return true;
    let row = this.#slots.get(tenant);
    if (row === undefined) this.#slots.set(tenant, (row = []));
    let s = row[level];
    if (s === undefined || s.config !== cfg) s = row[level] = this.#slot(tenant, level, cfg, s);
    s.demand += 1;
    if (s.bucket.tryTake()) return true;
    s.refused += 1;
    return false;
  }

  /** Every bucket slot (for the fleet sync and the state endpoint). */
  slots(): BucketSlot[] {
    const out: BucketSlot[] = [];
    for (const row of this.#slots.values()) for (const s of row) if (s !== undefined) out.push(s);
    return out;
  }

  /** Sets a slot's share of the fleet rate, (0, 1]. */
  setShare(s: BucketSlot, share: number): void {
    const x = Math.min(1, Math.max(1e-3, share));
    if (x === s.share) return;
    s.share = x;
    s.bucket.reconfigure({ ratePerSec: s.config.ratePerSec * x, burst: Math.max(1, s.config.burst * x) });
  }

  /** The limiter of target `key`, if any. */
  limiter(key: string): AdaptiveLimiter | undefined {
    return this.#limiters.get(key);
  }

  /** The client-side throttle of primary CTI breaker `key` (created on first use). */
  throttle(key: string): ClientThrottle {
    let t = this.#throttles.get(key);
    if (t === undefined) this.#throttles.set(key, (t = new ClientThrottle(this.#throttleConfig, this.#clock, this.#random)));
    return t;
  }

  /** Limits and in-flight calls per target. */
  limits(): { key: string; limit: number; inflight: number }[] {
    return [...this.#limiters].map(([key, l]) => ({ key, limit: l.limit, inflight: l.inflight }));
  }

  #slot(tenant: string, level: Level, cfg: { ratePerSec: number; burst: number }, old: BucketSlot | undefined): BucketSlot {
    const share = old?.share ?? 1;
    const scaled = { ratePerSec: cfg.ratePerSec * share, burst: Math.max(1, cfg.burst * share) };
    if (old !== undefined) {
      old.bucket.reconfigure(scaled);
      old.config = cfg;
      return old;
    }
    return { id: `${tenant}|L${level}`, bucket: new TokenBucket(scaled, this.#clock), config: cfg, share, demand: 0, refused: 0 };
  }
}
