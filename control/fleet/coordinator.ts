/**
 * Everything one control instance shares with its peers, run once per tick
 * around the level computation and never on the routing path:
 *
 * 1. lease round: leader or follower; a store that fails or is slow means
 *    "unreachable" — the instance then computes levels from its own signals
 *    (fail-static) and keeps its breaker states, shares and pins;
 * 2. after the computation, the leader publishes its level state, a follower
 *    re-reads it (in case a message was missed), and admission demand is synced;
 * 3. when the store answers again after an outage: reconcile — the leader
 *    republishes, followers re-read, breakers are re-read and written back
 *    where newer here, pins made during the outage are sent, policies reloaded.
 */
import type { Clock } from '../../adapters/clock.js';
import type { Logger } from '../../core/logger.js';
import type { StateStore } from '../../adapters/state/types.js';
import type { Admission } from '../runtime/admission.js';
import type { BreakerRegistry } from '../runtime/breakers.js';
import type { LevelRuntime } from '../runtime/levels.js';
import { AdmissionSync } from './admission-sync.js';
import { BreakerSync } from './breaker-sync.js';
import { LeaderLease } from './leader.js';
import { LevelsSync } from './levels-sync.js';

/** Shared-state status, for the state endpoint and readiness. */
export interface SharedStatus {
  readonly leader: boolean;
  /** Whether the store answered at the last tick. */
  readonly reachable: boolean;
  readonly epoch: number;
  /** Ticks computed while the store was unreachable (fail-static). */
  readonly failStaticTicks: number;
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** This instance's tag (unique per process lifetime). */
  readonly self: string;
  readonly leaseMs: number;
  readonly tickMs: number;
  readonly timeoutMs: number;
  readonly levels: LevelRuntime;
  readonly breakers: BreakerRegistry;
  readonly admission: Admission;
  /** Reloads every policy (after an outage). */
  readonly reloadPolicies: () => Promise<void>;
  readonly log: Logger;
}

/** See the module comment. */
export class Coordinator {
  readonly #options: CoordinatorOptions;
  readonly lease: LeaderLease;
  readonly levels: LevelsSync;
  readonly #breakers: BreakerSync;
  readonly #admission: AdmissionSync;
  #reachable = false;
  #everReachable = false;
  #failStatic = 0;

  constructor(options: CoordinatorOptions) {
    this.#options = options;
    const { store, clock, self, timeoutMs } = options;
    const onError = (what: string, err: unknown) => options.log.warn({ err: (err as Error)?.message }, `shared state: ${what} failed`);
    this.lease = new LeaderLease(store, clock, self, options.leaseMs, timeoutMs);
    this.levels = new LevelsSync({
      store,
      clock,
      self,
      leaseMs: options.leaseMs,
      tickMs: options.tickMs,
      timeoutMs,
      runtime: options.levels,
      onError,
    });
    this.#breakers = new BreakerSync({ store, clock, self, registry: options.breakers, timeoutMs, onError });
    this.#admission = new AdmissionSync({ store, clock, admission: options.admission, windowMs: options.tickMs, timeoutMs });
  }

  /** Subscribes to peers (a subscription that cannot be made now is made by the store when it connects). */
  start(): void {
    this.levels.start();
    this.#breakers.start();
  }

  /** Unsubscribes and, unless `crash`, gives the lease up so a peer takes over at once. */
  async stop(opts: { crash?: boolean } = {}): Promise<void> {
    if (opts.crash) this.lease.abandon();
    else await this.lease.release();
    await Promise.all([this.levels.stop(), this.#breakers.stop()]);
  }

  /** Step 1: whether this instance computes levels this tick. Never throws. */
  async before(): Promise<boolean> {
    const r = await this.lease.round();
    if (!r.ok) {
      if (this.#reachable) this.#options.log.warn({}, 'shared state unreachable: deciding from local signals and state (fail-static)');
      this.#reachable = false;
      this.#failStatic += 1;
      return true;
    }
    if (r.became) this.#options.log.info({ epoch: this.lease.epoch }, 'became control leader');
    if (r.lost) this.#options.log.info({}, 'lost control leadership');
    if (!this.#reachable) {
      this.#reachable = true;
      await this.#reconcile();
    }
    return r.leader;
  }

  /** Step 2. Never throws; a failure marks the store unreachable until the next lease round. */
  async after(): Promise<void> {
    if (!this.#reachable) return;
    try {
      if (this.lease.leader) await this.levels.publish(this.lease.epoch);
      else await this.levels.pull();
      await this.#admission.sync();
    } catch (err) {
      this.#options.log.warn({ err: (err as Error)?.message }, 'shared state: tick sync failed');
      this.#reachable = false;
    }
  }

  /** Status for the state endpoint. */
  status(): SharedStatus {
    return { leader: this.lease.leader, reachable: this.#reachable, epoch: this.lease.epoch, failStaticTicks: this.#failStatic };
  }

  async #reconcile(): Promise<void> {
    const first = !this.#everReachable;
    this.#everReachable = true;
    try {
      if (this.lease.leader) await this.levels.publish(this.lease.epoch);
      else {
        this.levels.resetSeen();
        await this.levels.pull();
      }
      await this.#breakers.reconcile();
      await this.levels.flushPins();
      await this.#options.reloadPolicies();
      if (!first) this.#options.log.info({}, 'shared state reachable again: reconciled levels, breakers, pins and policies');
    } catch (err) {
      this.#options.log.warn({ err: (err as Error)?.message }, 'shared state: reconcile failed');
      this.#reachable = false;
    }
  }
}
