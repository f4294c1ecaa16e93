/**
 * The control service: composes the pure core (levels, breakers, admission,
 * policy, router) with signals from the pipelines, shared state, the decision
 * log and callback tickets.
 *
 * - `route()` decides from in-memory state only and awaits nothing; logging and
 *   ticketing are enqueued.
 * - `outcome()` feeds the target's breaker, limiter and throttle; `report()`
 *   takes an outcome whichever instance decided (see `fleet/outcome-relay.ts`).
 * - `tick()` (every `tickMs` on the injected clock) reads signals, and either
 *   computes levels (leader, or fail-static) or follows the leader's; see
 *   `fleet/coordinator.ts`.
 *
 * Operator actions, policy and the state view are in `service-admin.ts`.
 */
import { randomBytes } from 'node:crypto';
import { OutcomeRelay } from './fleet/outcome-relay.js';
import { DecisionIds } from './runtime/decision-id.js';
import type { TimerHandle } from '../adapters/clock.js';
import { Emitter } from '../core/emitter.js';
import type { Emits, Listener } from '../core/emitter.js';
import { resolvePressureConfig, waitTarget } from './levels/pressure.js';
import { ControlAdmin } from './service-admin.js';
import type { ControlEvents, ControlServiceOptions, ControlStats, RouteAnswer, RouteInput, RouteOutcome } from './service-types.js';
import { POOLS, PendingDecisions } from './runtime/decisions.js';
import { CHANNEL_BREAKER_KEYS } from './routing-table.js';
import type { RouteTarget } from './routing-table.js';
import { RouteEngine } from './runtime/route-engine.js';
import type { RoutedCall } from './runtime/route-engine.js';
import { checkNumber, controlError } from './errors.js';

export type { ControlEvents, ControlServiceOptions, RouteAnswer, RouteInput, RouteOutcome } from './service-types.js';

/** See the module comment. */
export class ControlService extends ControlAdmin implements Emits<ControlEvents> {
  readonly #engine: RouteEngine;
  readonly #pending: PendingDecisions<RoutedCall>;
  readonly #ids: DecisionIds;
  readonly #relay: OutcomeRelay;
  readonly #ttlMs: number;
  readonly #remote = { relayed: 0, applied: 0, orphaned: 0, duplicate: 0, refused: 0, unavailable: 0 };
  readonly #rateLimited = { route: 0, outcome: 0, api: 0 };
  #timer: TimerHandle | undefined;
  #ticking: Promise<void> | null = null;
  #running = false;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming a bad option */
  constructor(options: ControlServiceOptions) {
    const tickMs = checkNumber('control.tickMs', options.tickMs ?? 1_000, { int: true, min: 1 });
    const leaseMs = checkNumber('control.leaseMs', options.leaseMs ?? 5_000, { int: true, gt: tickMs });
    const sl = options.serviceLevelMs;
    if (sl !== undefined) checkNumber('control.serviceLevelMs', sl, { min: 0 });
    const pressure = resolvePressureConfig({
      consumerLagLow: 5_000,
      consumerLagHigh: 60_000,
      ...(sl === undefined ? {} : waitTarget(sl)),
      ...options.pressure,
    });
    super(options, {
      tickMs,
      leaseMs,
      pressure,
      events: new Emitter<ControlEvents>((err, name) =>
        options.log?.warn({ err: (err as Error)?.message }, `control event listener for ${name} threw`),
      ),
    });
    this.#engine = new RouteEngine(
      this.instanceId,
      this.tables,
      this.breakers,
      this.admission,
      (tenant, k) => this.cti.weight(tenant, k),
      (tenant, level, kind, key) => {
        if (this.events.has('admission-rejected')) this.events.emit('admission-rejected', { tenant, level, kind, key });
      },
    );
    const prefix = randomBytes(5).toString('hex');
    const secret = options.decisionKey === undefined ? randomBytes(32) : Buffer.from(options.decisionKey, 'utf8');
    if (secret.length < 32) throw controlError('SLUICE_ERR_CONTROL_CONFIG_INVALID', 'decisionKey must have at least 32 bytes');
    this.#ids = new DecisionIds(secret, prefix, POOLS);
    this.#ttlMs = checkNumber('control.decisionTtlMs', options.decisionTtlMs ?? 60_000, { int: true, min: 1 });
    this.#relay = new OutcomeRelay({
      store: options.stateStore,
      clock: this.clock,
      timeoutMs: options.storeTimeoutMs ?? 250,
      prefix,
      onOutcome: (id, o) => {
        if (this.outcome(id, o)) this.#remote.applied += 1;
      },
      onError: (what, err) => this.log.warn({ err: (err as Error)?.message }, `control: ${what} failed`),
    });
    this.#pending = new PendingDecisions(`${prefix}-`, {
      ttlMs: this.#ttlMs,
      max: checkNumber('control.maxPendingDecisions', options.maxPendingDecisions ?? 100_000, { int: true, min: 1 }),
      maxPerTenant: checkNumber('control.maxPendingPerTenant', options.maxPendingPerTenant ?? 25_000, { int: true, min: 1 }),
      onEvict: (h) => this.#engine.release(h),
      onBound: (h, bound) => {
        if (this.events.has('limit'))
          this.events.emit('limit', { limit: bound === 'tenant' ? 'pending-tenant' : 'pending-total', tenant: h.tenant });
      },
    });
  }

  /** Decides where a call goes. Synchronous: in-memory state only. */
  route(req: RouteInput): RouteAnswer {
    const timed = this.events.has('decision');
    const t0 = timed ? performance.now() : 0;
    const now = this.hot.pin();
    let c: RoutedCall;
    try {
      // Everything the call holds until its outcome is its tenant's: its ring of pending decisions, its limiters.
      const t = this.tables.compiled.get(req.tenant);
      const ctx = this.#engine.context(req.tenant, t !== undefined);
      const pool = (ctx.pool ??= this.#pending.pool(req.tenant, t === undefined));
      c = this.#engine.route(ctx, t, req.tenant, req.skillGroup, req.priority, req.callId, now, req.intent ?? '');
      c.decisionId = this.#ids.sign(pool.index, this.#pending.nextN(pool), now, req.tenant, c.decision.breakerKey);
      this.#pending.add(pool, c);
    } finally {
      this.hot.release();
    }
    this.decisionLog?.append(c);
    if (c.decision.ticket) {
      // Only a diverted call pays for its context: the IVR path is copied, so a caller reusing its array changes nothing.
      const trajectory = req.ivrTrajectory;
      this.tickets.enqueue({
        tenant: c.tenant,
        callId: c.callId,
        skillGroup: c.skillGroup,
        priority: c.priority,
        reason: c.reason,
        decisionId: c.decisionId,
        ...(req.intent ? { intent: req.intent } : {}),
        ...(trajectory !== undefined && trajectory.length > 0 ? { ivrTrajectory: [...trajectory] } : {}),
      });
    }
    if (timed) {
      this.events.emit('decision', {
        tenant: c.tenant,
        skillGroup: c.skillGroup,
        priority: c.priority,
        target: c.target,
        level: c.level,
        ctiNode: c.ctiNode,
        probe: c.decision.probe,
        spilled: c.spilled,
        admitted: c.admitted,
        durationNs: Math.round((performance.now() - t0) * 1e6),
      });
    }
    return c.ctiNode === undefined
      ? { decisionId: c.decisionId, target: c.target, level: c.level, reason: c.reason }
      : { decisionId: c.decisionId, target: c.target, ctiNode: c.ctiNode, level: c.level, reason: c.reason };
  }

  /**
   * Reports a decision's outcome.
   * @returns false when the decision id is unknown, already reported or expired
   */
  outcome(decisionId: string, o: RouteOutcome): boolean {
    const now = this.hot.pin();
    try {
      const c = this.#pending.take(decisionId, now);
      if (c === undefined) return false;
      this.#engine.outcome(c, o.success, o.latencyMs);
      if (this.events.has('outcome'))
        this.events.emit('outcome', { target: c.target, breakerKey: c.decision.breakerKey, success: o.success, latencyMs: o.latencyMs });
      return true;
    } finally {
      this.hot.release();
    }
  }

  /**
   * Takes a decision's outcome whichever instance decided it, for a caller acting as `asTenant`
   * (null: a platform key, any tenant). A decision of this instance is applied here at once. One of
   * another instance is verified (its signed id, see `runtime/decision-id.ts`), checked for its
   * tenant and age, claimed once fleet-wide, and handed to the deciding instance, which applies it as
   * its own (permits, concurrency slot, throttle); when that instance is gone, its tenant's breaker
   * here counts the evidence.
   * @returns false when the decision is unknown, another tenant's, expired, or already reported
   * @throws SluiceError `SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE` for another instance's decision while the shared store is unreachable
   */
  async report(decisionId: string, o: RouteOutcome, asTenant: string | null): Promise<boolean> {
    if (this.#pending.owns(decisionId)) {
      const owner = this.decisionTenant(decisionId);
      return owner !== undefined && (asTenant === null || owner === asTenant) && this.outcome(decisionId, o);
    }
    const d = this.#ids.verify(decisionId);
    const now = this.clock.now();
    // Ages by the id's second: never judged expired before the deciding instance would (at most 1 s later).
    if (
      d === null ||
      (asTenant !== null && d.tenant !== asTenant) ||
      now >= d.sec * 1000 + this.#ttlMs + 1_000 ||
      d.sec * 1000 > now + 60_000
    ) {
      this.#remote.refused += 1;
      return false;
    }
    const nonce = `${d.prefix}-${d.n.toString(36)}`;
    let first: boolean;
    try {
      first = await this.#relay.claim(nonce, this.#ttlMs + 2_000);
    } catch (err) {
      this.#remote.unavailable += 1;
      throw controlError(
        'SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE',
        `the outcome of decision ${decisionId}, made by another control instance (id prefix ${d.prefix}), cannot be recorded here: ${(err as Error)?.message ?? err}. Retry, or report it to the instance that decided`,
      );
    }
    if (!first) {
      this.#remote.duplicate += 1;
      return false;
    }
    const heard = await this.#relay.forward(d.prefix, decisionId, o).catch((err: unknown) => {
      this.log.warn({ err: (err as Error)?.message }, 'control: forwarding an outcome failed; counting its evidence here');
      return 0;
    });
    if (heard > 0) {
      this.#remote.relayed += 1;
      return true;
    }
    // The deciding instance is gone: its slot and permits died with it; the evidence still counts.
    this.hot.pin();
    try {
      this.#remote.orphaned += 1;
      this.#engine.orphan(d.tenant, this.tables.compiled.has(d.tenant), d.breakerKey, o.success, o.latencyMs);
      if (this.events.has('outcome'))
        this.events.emit('outcome', {
          target: targetOf(d.breakerKey),
          breakerKey: d.breakerKey,
          success: o.success,
          latencyMs: o.latencyMs,
        });
    } finally {
      this.hot.release();
    }
    return true;
  }

  /** The tenant of a pending decision (for tenant isolation of outcomes), or undefined. */
  decisionTenant(decisionId: string): string | undefined {
    return this.#pending.peek(decisionId)?.tenant;
  }

  /**
   * One control tick: refresh a remote view, lease round, levels (computed or
   * followed), shared-state sync, expiry of unanswered decisions. Concurrent
   * calls share one run. Never throws.
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  /** Starts signals, subscriptions, the log, the first tick, then ticks every `tickMs` on a fixed grid. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.startShared();
    this.#relay.start();
    await this.tick();
    let next = this.clock.now() + this.tickMs;
    const arm = () => {
      this.#timer = this.clock.setTimeout(() => {
        void this.tick();
        next += this.tickMs;
        if (next <= this.clock.now()) next = this.clock.now() + this.tickMs;
        if (this.#running) arm();
      }, next - this.clock.now());
    };
    arm();
  }

  /** Stops ticking, gives up the lease (unless `crash`), flushes the log, stops tickets. */
  async stop(opts: { crash?: boolean } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    await this.#relay.stop();
    await this.stopShared(opts);
  }

  /** Counters for metrics. */
  stats(): ControlStats {
    return {
      decisions: this.#pending.stats(),
      remoteOutcomes: { ...this.#remote },
      scopes: this.book.stats(),
      rateLimited: { ...this.#rateLimited },
      log: this.decisionLog?.stats() ?? null,
      tickets: this.tickets.stats(),
    };
  }

  /** Counts a request the per-key rate limit answered with 429 (the routes plugin calls it) for a key of `tenant`. */
  countRateLimited(limit: 'route' | 'outcome' | 'api', tenant: string): void {
    this.#rateLimited[limit] += 1;
    if (this.events.has('limit')) this.events.emit('limit', { limit, tenant });
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). No listener, no cost. */
  on<K extends keyof ControlEvents & string>(name: K, listener: Listener<ControlEvents[K]>): () => void {
    return this.events.on(name, listener);
  }

  async #tick(): Promise<void> {
    const t0 = this.clock.now();
    try {
      await this.realtime.refresh?.();
    } catch (err) {
      this.log.warn({ err: (err as Error)?.message }, 'control: realtime view refresh failed');
    }
    try {
      await this.trunks.refresh();
    } catch (err) {
      this.log.warn({ err: (err as Error)?.message }, 'control: trunk reports refresh failed (the last ones count until their TTL)');
    }
    const computed = await this.coordinator.before();
    if (computed) this.levels.compute();
    else {
      this.source.refresh();
      this.levels.expirePins();
    }
    this.reloadPoliciesWhenDue(t0);
    this.discover();
    this.levels.sweep(this.clock.now());
    await this.coordinator.after();
    this.#pending.expire(this.clock.now());
    if (this.events.has('tick')) {
      const s = this.coordinator.status();
      this.events.emit('tick', { at: t0, computed, leader: s.leader, reachable: s.reachable, durationMs: this.clock.now() - t0 });
    }
  }
}

/** The target a breaker key stands for (for the outcome event of a decision decided elsewhere). */
function targetOf(breakerKey: string): RouteTarget {
  if (breakerKey.startsWith('cti:')) return 'agent';
  for (const [target, key] of Object.entries(CHANNEL_BREAKER_KEYS)) if (key === breakerKey) return target as RouteTarget;
  return 'reject';
}
