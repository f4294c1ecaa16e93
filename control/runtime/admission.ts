/**
 * Admission for one control instance, kept per tenant so that a tenant's own
 * traffic (or its silence about outcomes) only ever limits that tenant:
 *
 * - a token bucket per tenant and level for the agent channel (the policy's
 *   `admission` of that level; requests routed at L2 draw from the tenant's L2
 *   bucket). The local bucket is the fast path; {@link AdmissionSync} scales
 *   its rate to this instance's share of the fleet's demand each window.
 * - an adaptive concurrency limiter per tenant and target (each CTI node, each
 *   channel): a decision holds a slot of its tenant's limiter until its outcome
 *   (or until it expires), so calls left without outcomes fill only their own
 *   tenant's limits. Each limiter learns the target's capacity from its
 *   tenant's round-trip times.
 * - the SRE client-side throttle per tenant and primary CTI node, spilling to
 *   the backup (it learns from the tenant's own accepts).
 *
 * Tenants without a routing table share one set ({@link UNKNOWN_TENANT}), and
 * so do known tenants beyond `maxTenants`.
 */
import type { Clock } from '../../adapters/clock.js';
import { ClientThrottle } from '../admission/client-throttle.js';
import type { ClientThrottleConfig } from '../admission/client-throttle.js';
import { AdaptiveLimiter } from '../admission/limiter.js';
import type { LimiterConfig } from '../admission/limiter.js';
import { TokenBucket } from '../admission/token-bucket.js';
import type { LevelPolicy } from '../policy/schema.js';
import type { Level, Random } from '../types.js';
import { UNKNOWN_TENANT } from './breakers.js';

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
  /** Whether `tenant` gets limiters of its own (a known tenant); others share {@link UNKNOWN_TENANT}'s. */
  readonly knows?: (tenant: string) => boolean;
  /** Most tenants with limiters of their own (default 4096). */
  readonly maxTenants?: number;
}

/** What `RouteEngine` keeps about a target a tenant's calls were sent to (fields of its `TargetBreakers`). */
export interface SentTarget {
  readonly sentFor: number;
  reportedWhileSent: number;
}

/** Most concurrency limiters one tenant's admission holds (its targets: channels and CTI nodes of its policy versions). */
export const MAX_LIMITERS = 64;

/** One tenant's concurrency limiters (by target) and client-side throttles (by primary CTI key). */
export class TenantAdmission {
  /** Limiter per target key. */
  readonly limiters = new Map<string, AdaptiveLimiter>();
  readonly #throttles = new Map<string, ClientThrottle>();
  readonly #make: () => ClientThrottle;
  readonly #limiter: () => AdaptiveLimiter;
  /**
   * Decision time (epoch ms) of the latest-decided call of this tenant whose outcome has come back, whatever its
   * kind: while it is later than a decision, the tenant's proxy has reported calls decided after that one (what
   * tells a quiet proxy, see `RouteEngine.route`; the silent-node rule reads {@link sentTo}'s). Decision times, not arrival times, so a proxy that reports everything late is not taken
   * for one that reports on time.
   */
  reportedFor = Number.NEGATIVE_INFINITY;
  /** Moving average of the time from a decision to its answer's report, ms (NaN before the first on-time one). */
  reportDelayMs = Number.NaN;
  /** Time of the tenant's last decision, and the moving average of the time between its decisions, ms. */
  lastDecisionAt = Number.NaN;
  decisionGapMs = Number.NaN;
  /** Time of the tenant's first decision here, ms. */
  firstDecisionAt = Number.NEGATIVE_INFINITY;
  /** Primary calls decided while the proxy was quiet (every 20th goes to a backup as a canary). */
  canary = 0;
  /**
   * The targets this tenant's calls were sent to (their `TargetBreakers`, at most {@link MAX_LIMITERS}): each outcome
   * that comes back updates their `reportedWhileSent` (see `RouteEngine.expire`).
   */
  readonly sentTo: SentTarget[] = [];

  constructor(
    readonly tenant: string,
    keys: readonly string[],
    limiter: () => AdaptiveLimiter,
    throttle: () => ClientThrottle,
  ) {
    for (const k of keys) this.limiters.set(k, limiter());
    this.#make = throttle;
    this.#limiter = limiter;
  }

  /**
   * The limiter of target `key`: created on first use for a target beyond the deployment's
   * (a CTI node of the tenant's policy), up to {@link MAX_LIMITERS} per tenant; undefined past it.
   */
  limiter(key: string): AdaptiveLimiter | undefined {
    let l = this.limiters.get(key);
    if (l === undefined && key !== '' && this.limiters.size < MAX_LIMITERS) this.limiters.set(key, (l = this.#limiter()));
    return l;
  }

  /** The client-side throttle of primary CTI breaker `key` (created on first use). */
  throttle(key: string): ClientThrottle {
    let t = this.#throttles.get(key);
    if (t === undefined) this.#throttles.set(key, (t = this.#make()));
    return t;
  }
}

/** See the module comment. */
export class Admission {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #slots = new Map<string, (BucketSlot | undefined)[]>();
  readonly #tenants = new Map<string, TenantAdmission>();
  readonly #options: AdmissionOptions;
  readonly #keys: readonly string[];
  readonly #throttleConfig: Partial<ClientThrottleConfig>;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad limiter or throttle option */
  constructor(options: AdmissionOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
    this.#keys = [...options.limiterKeys];
    this.#throttleConfig = options.throttle ?? {};
    // Validate the options at the door, not on the first call.
    new AdaptiveLimiter(options.limiter ?? {}, options.clock);
    new ClientThrottle(this.#throttleConfig, options.clock, this.#random);
    this.#create(UNKNOWN_TENANT);
  }

  /** `tenant`'s limiters and throttles (created on first use for a known tenant; the shared set of unknown tenants otherwise). */
  forTenant(tenant: string): TenantAdmission {
    const a = this.#tenants.get(tenant);
    if (a !== undefined) return a;
    if (!(this.#options.knows?.(tenant) ?? true) || this.#tenants.size > (this.#options.maxTenants ?? 4_096))
      return this.#tenants.get(UNKNOWN_TENANT)!;
    return this.#create(tenant);
  }

  /** Every tenant's admission state (the shared one of unknown tenants included). */
  tenants(): IterableIterator<TenantAdmission> {
    return this.#tenants.values();
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

  /** Limits and in-flight calls per tenant and target (`tenant` only when given). */
  limits(tenant?: string): { tenant: string; key: string; limit: number; inflight: number }[] {
    const out: { tenant: string; key: string; limit: number; inflight: number }[] = [];
    for (const a of this.#tenants.values()) {
      if (tenant !== undefined && a.tenant !== tenant) continue;
      for (const [key, l] of a.limiters) out.push({ tenant: a.tenant, key, limit: l.limit, inflight: l.inflight });
    }
    return out;
  }

  #create(tenant: string): TenantAdmission {
    const o = this.#options;
    const a = new TenantAdmission(
      tenant,
      this.#keys,
      () => new AdaptiveLimiter(o.limiter ?? {}, o.clock),
      () => new ClientThrottle(this.#throttleConfig, this.#clock, this.#random),
    );
    this.#tenants.set(tenant, a);
    return a;
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
