/**
 * The control service: composes the pure core (levels, breakers, admission,
 * policy, router) with signals from the pipelines, shared state, the decision
 * log and callback tickets.
 *
 * - `route()` decides from in-memory state only and awaits nothing; logging and
 *   ticketing are enqueued.
 * - `outcome()` feeds the target's breaker, limiter and throttle.
 * - `tick()` (every `tickMs` on the injected clock) reads signals, and either
 *   computes levels (leader, or fail-static) or follows the leader's; see
 *   `fleet/coordinator.ts`.
 *
 * Operator actions, policy and the state view are in `service-admin.ts`.
 */
import { randomBytes } from 'node:crypto';
import type { TimerHandle } from '../adapters/clock.js';
import { Emitter } from '../core/emitter.js';
import type { Emits, Listener } from '../core/emitter.js';
import { resolvePressureConfig, waitTarget } from './levels/pressure.js';
import { ControlAdmin } from './service-admin.js';
import type { ControlEvents, ControlServiceOptions, ControlStats, RouteAnswer, RouteInput, RouteOutcome } from './service-types.js';
import { PendingDecisions } from './runtime/decisions.js';
import { RouteEngine } from './runtime/route-engine.js';
import type { RoutedCall } from './runtime/route-engine.js';
import { checkNumber } from './errors.js';

export type { ControlEvents, ControlServiceOptions, RouteAnswer, RouteInput, RouteOutcome } from './service-types.js';

/** See the module comment. */
export class ControlService extends ControlAdmin implements Emits<ControlEvents> {
  readonly #engine: RouteEngine;
  readonly #pending: PendingDecisions<RoutedCall>;
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
    this.#pending = new PendingDecisions(`${randomBytes(5).toString('hex')}-`, {
      ttlMs: checkNumber('control.decisionTtlMs', options.decisionTtlMs ?? 60_000, { int: true, min: 1 }),
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
      c = this.#engine.route(
        ctx,
        t,
        req.tenant,
        req.skillGroup,
        req.priority,
        req.callId,
        now,
        this.#pending.nextId(pool),
        req.intent ?? '',
      );
      this.#pending.add(pool, c);
    } finally {
      this.hot.release();
    }
    this.decisionLog?.append(c);
    if (c.decision.ticket)
      this.tickets.enqueue({
        tenant: c.tenant,
        callId: c.callId,
        skillGroup: c.skillGroup,
        priority: c.priority,
        reason: c.reason,
        decisionId: c.decisionId,
      });
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
    await this.stopShared(opts);
  }

  /** Counters for metrics. */
  stats(): ControlStats {
    return {
      decisions: this.#pending.stats(),
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
