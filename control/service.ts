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
import { type PressureConfig, resolvePressureConfig, waitTarget } from './levels/pressure.js';
import { ControlAdmin } from './service-admin.js';
import type { ControlEvents, ControlServiceOptions, ControlStats, OutcomeResult, RouteAnswer, RouteInput } from './service-types.js';
import { EntryState, POOLS, PendingDecisions } from './runtime/decisions.js';
import { nodeAnswered, toOutcome } from './outcome.js';
import type { OutcomeKind, OutcomeReport } from './outcome.js';
import { CHANNEL_BREAKER_KEYS } from './routing-table.js';
import type { RouteTarget } from './routing-table.js';
import { RouteEngine } from './runtime/route-engine.js';
import type { RoutedCall } from './runtime/route-engine.js';
import { checkNumber, controlError } from './errors.js';

export type { ControlEvents, ControlServiceOptions, OutcomeResult, RouteAnswer, RouteInput, RouteOutcome } from './service-types.js';

/** Most distinct unknown names logged per period (a flood of made-up names is counted, not logged line by line). */
const MAX_LOGGED_UNKNOWN = 256;
/** How often the set of names logged starts over, ms. */
const UNKNOWN_LOG_PERIOD_MS = 600_000;

/** See the module comment. */
export class ControlService extends ControlAdmin implements Emits<ControlEvents> {
  readonly #engine: RouteEngine;
  readonly #pending: PendingDecisions<RoutedCall>;
  readonly #ids: DecisionIds;
  readonly #relay: OutcomeRelay;
  readonly #ttlMs: number;
  readonly #outcomeTimeoutMs: number;
  readonly #remote = { relayed: 0, applied: 0, orphaned: 0, duplicate: 0, refused: 0, unavailable: 0 };
  readonly #outcomes = { connected: 0, failed: 0, timeout: 0, abandoned: 0, 'not-attempted': 0, late: 0, repeat: 0, conflict: 0 };
  readonly #unknown = { expired: 0, timedOut: 0, presumedLost: 0 };
  readonly #refusals = { 'unknown-tenant': 0, 'unknown-skill-group': 0, 'tenant-level': 0 };
  readonly #logged = new Set<string>();
  #loggedSince = Number.NEGATIVE_INFINITY;
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
    const pressureAt = (threshold: number | undefined): PressureConfig =>
      resolvePressureConfig({
        consumerLagLow: 5_000,
        consumerLagHigh: 60_000,
        ...(threshold === undefined ? {} : waitTarget(threshold)),
        ...options.pressure,
      });
    const deployment = pressureAt(sl);
    super(options, {
      tickMs,
      leaseMs,
      pressure: pressureOfTenant(deployment, sl, options.serviceLevelMsOf, pressureAt, options.log),
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
    this.#outcomeTimeoutMs = checkNumber('control.outcomeTimeoutMs', options.outcomeTimeoutMs ?? Math.min(10_000, this.#ttlMs), {
      int: true,
      min: 1,
      max: this.#ttlMs,
    });
    this.#relay = new OutcomeRelay({
      store: options.stateStore,
      clock: this.clock,
      timeoutMs: options.storeTimeoutMs ?? 250,
      prefix,
      onOutcome: (id, o) => {
        const r = this.record(id, o);
        if (r === 'taken' || r === 'late') this.#remote.applied += 1;
      },
      onError: (what, err) => this.log.warn({ err: (err as Error)?.message }, `control: ${what} failed`),
    });
    this.#engine.quietMs = checkNumber('control.outcomeQuietMs', options.outcomeQuietMs ?? 250, { int: true, min: 1 });
    this.#engine.reclaim = (ctx, key, now) => {
      const pool = ctx.pool;
      if (pool === undefined) return false;
      let mine = false;
      const n = this.#pending.scan(pool, now - this.#engine.quietAfter(ctx.admission), (h) => {
        if (!this.#engine.presumeLost(h)) return false;
        if (h.decision.breakerKey === key) mine = true;
        return true;
      });
      this.#unknown.presumedLost += n;
      return mine;
    };
    this.#pending = new PendingDecisions(`${prefix}-`, {
      ttlMs: this.#ttlMs,
      slotTtlMs: this.#outcomeTimeoutMs,
      onExpire: (h) => {
        const timedOut = this.#engine.expire(h);
        this.#unknown.expired += 1;
        if (timedOut) this.#unknown.timedOut += 1;
        if (this.events.has('unknown'))
          this.events.emit('unknown', { tenant: h.tenant, target: h.target, breakerKey: h.decision.breakerKey, timedOut });
      },
      max: checkNumber('control.maxPendingDecisions', options.maxPendingDecisions ?? 100_000, { int: true, min: 1 }),
      maxPerTenant: checkNumber('control.maxPendingPerTenant', options.maxPendingPerTenant ?? 25_000, { int: true, min: 1 }),
      onEvict: (h) => this.#engine.release(h),
      onBound: (h, bound) => {
        if (this.events.has('limit'))
          this.events.emit('limit', { limit: bound === 'tenant' ? 'pending-tenant' : 'pending-total', tenant: h.tenant });
      },
    });
  }

  /**
   * Decides where a call goes. Synchronous: in-memory state only.
   * @throws SluiceError `SLUICE_ERR_CONTROL_UNKNOWN_TENANT` for a tenant this deployment does not serve;
   *   `SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP` for a skill group its tenant does not know, unless the tenant's
   *   policy says `unknownSkillGroups: "tenant-level"` (see {@link refusal})
   */
  route(req: RouteInput): RouteAnswer {
    const refused = this.refusal(req);
    if (refused !== null) throw refused;
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
   * Why a route request is refused, or null when it is routed:
   * - a tenant without a routing table (not configured, no API key, no policy, never in the events):
   *   `SLUICE_ERR_CONTROL_UNKNOWN_TENANT`;
   * - a skill group the tenant neither tracks (seen in its events, pinned) nor declares in its policy, while the
   *   policy says `unknownSkillGroups: "refuse"` (the default) and the tenant tracks fewer groups than its bound
   *   (past the bound a group seen in the events cannot be told from a typo, so it is routed at the tenant's level):
   *   `SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP`. With `"tenant-level"` the call is routed at the tenant's level.
   * Either is counted (`stats().refusals`, the `refused` event) and logged once per name and period.
   */
  refusal(req: Pick<RouteInput, 'tenant' | 'skillGroup'>): Error | null {
    const t = this.tables.compiled.get(req.tenant);
    if (t === undefined) {
      this.#refused('unknown-tenant', req.tenant, undefined);
      return controlError(
        'SLUICE_ERR_CONTROL_UNKNOWN_TENANT',
        `tenant ${JSON.stringify(req.tenant)} is not served by this deployment (SLUICE_TENANTS, the tenants of API keys, policies and events name the tenants served): take the local fallback and fix the name`,
        { details: { field: 'body.tenant' } },
      );
    }
    if (t.groups.has(req.skillGroup) || t.declared.has(req.skillGroup)) return null;
    if (!t.refuseUnknownGroups || t.groups.size >= this.book.maxGroupsPerTenant) {
      this.#refused('tenant-level', req.tenant, req.skillGroup);
      return null;
    }
    this.#refused('unknown-skill-group', req.tenant, req.skillGroup);
    return controlError(
      'SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP',
      `skill group ${JSON.stringify(req.skillGroup)} of tenant ${JSON.stringify(req.tenant)} is neither in its events nor in its policy's skillGroups: fix the name, declare it, or set the policy's unknownSkillGroups to "tenant-level" to route such calls at the tenant's level`,
      { details: { field: 'body.skillGroup' } },
    );
  }

  #refused(kind: 'unknown-tenant' | 'unknown-skill-group' | 'tenant-level', tenant: string, skillGroup: string | undefined): void {
    this.#refusals[kind] += 1;
    if (this.events.has('refused')) this.events.emit('refused', { kind, tenant, skillGroup });
    const now = this.clock.now();
    if (now - this.#loggedSince >= UNKNOWN_LOG_PERIOD_MS) {
      this.#logged.clear();
      this.#loggedSince = now;
    }
    const name = `${kind}\u0000${tenant}\u0000${skillGroup ?? ''}`;
    if (this.#logged.has(name) || this.#logged.size >= MAX_LOGGED_UNKNOWN) return;
    this.#logged.add(name);
    this.log.warn(
      { tenant, ...(skillGroup === undefined ? {} : { skillGroup }), kind },
      kind === 'unknown-tenant'
        ? 'control: route refused, unknown tenant (logged once per name every 10 min; counted in sluice_route_refusals_total)'
        : kind === 'unknown-skill-group'
          ? 'control: route refused, unknown skill group (logged once per name every 10 min; counted in sluice_route_refusals_total)'
          : 'control: unknown skill group routed at the tenant level, as its policy says (logged once per name every 10 min)',
    );
  }

  /**
   * Reports a decision's outcome (either form, see `outcome.ts`).
   * @returns true when it was taken now (on time or late); false when the decision id is unknown, expired, or reported already
   */
  outcome(decisionId: string, o: OutcomeReport): boolean {
    const r = this.record(decisionId, o);
    return r === 'taken' || r === 'late';
  }

  /**
   * Takes a decision's outcome on the instance that decided it.
   * @returns `taken`; `late` (after its slot's time-out: the breakers hear it, its slot was released already);
   *   `repeat` (the same outcome again: nothing changes); `conflict` (another outcome after one was taken: ignored,
   *   counted); `unknown` (not a pending decision of this instance, or older than its lifetime)
   */
  record(decisionId: string, report: OutcomeReport): OutcomeResult {
    const o = toOutcome(report);
    const now = this.hot.pin();
    try {
      const c = this.#pending.find(decisionId, now);
      if (c === undefined) return 'unknown';
      if (c.state === EntryState.Settled) {
        const same = c.taken === o.outcome;
        this.#outcomes[same ? 'repeat' : 'conflict'] += 1;
        return same ? 'repeat' : 'conflict';
      }
      // Past its slot's time-out it is late, whether or not the sweep of the tick got to it yet.
      if (now - c.ts >= this.#outcomeTimeoutMs) this.#pending.expireNow(c);
      const was = this.#pending.settle(c);
      c.taken = o.outcome;
      const late = was === EntryState.Unknown;
      const latency = nodeAnswered(o.outcome) ? (o.latencyMs ?? 0) : Number.NaN;
      if (late && c.timedOut) this.#engine.heard(c, o.outcome, now);
      else this.#engine.outcome(c, o.outcome, latency, now, late);
      this.#outcomes[o.outcome] += 1;
      if (late) this.#outcomes.late += 1;
      this.#emitOutcome(c.tenant, c.target, c.decision.breakerKey, o.outcome, latency, late);
      return late ? 'late' : 'taken';
    } finally {
      this.hot.release();
    }
  }

  #emitOutcome(tenant: string, target: RouteTarget, breakerKey: string, kind: OutcomeKind, latency: number, late: boolean): void {
    if (this.events.has('outcome'))
      this.events.emit('outcome', {
        tenant,
        target,
        breakerKey,
        outcome: kind,
        success: kind === 'connected',
        latencyMs: Number.isNaN(latency) ? undefined : latency,
        late,
      });
  }

  /**
   * Takes a decision's outcome whichever instance decided it, for a caller acting as `asTenant`
   * (null: a platform key, any tenant). A decision of this instance is applied here at once. One of
   * another instance is verified (its signed id, see `runtime/decision-id.ts`), checked for its
   * tenant and age, claimed once fleet-wide, and handed to the deciding instance, which applies it as
   * its own (permits, concurrency slot, throttle); when that instance is gone, its tenant's breaker
   * here counts the evidence.
   * @returns as {@link record}; for another instance's decision: `taken` (handed over, or counted here when the
   *   deciding instance is gone), `repeat` (claimed before, anywhere: whether it agreed is known to the deciding
   *   instance only), `unknown` (forged, tampered, another tenant's, expired)
   * @throws SluiceError `SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE` for another instance's decision while the shared store is unreachable
   */
  async report(decisionId: string, report: OutcomeReport, asTenant: string | null): Promise<OutcomeResult> {
    const o = toOutcome(report);
    if (this.#pending.owns(decisionId)) {
      const owner = this.decisionTenant(decisionId);
      return owner !== undefined && (asTenant === null || owner === asTenant) ? this.record(decisionId, o) : 'unknown';
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
      return 'unknown';
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
      this.#outcomes.repeat += 1;
      return 'repeat';
    }
    const heard = await this.#relay.forward(d.prefix, decisionId, o).catch((err: unknown) => {
      this.log.warn({ err: (err as Error)?.message }, 'control: forwarding an outcome failed; counting its evidence here');
      return 0;
    });
    if (heard > 0) {
      this.#remote.relayed += 1;
      return 'taken';
    }
    // The deciding instance is gone: its slot and permits died with it; the evidence still counts.
    this.hot.pin();
    try {
      this.#remote.orphaned += 1;
      const latency = nodeAnswered(o.outcome) ? (o.latencyMs ?? 0) : Number.NaN;
      this.#engine.orphan(d.tenant, this.tables.compiled.has(d.tenant), d.breakerKey, o.outcome, latency, d.sec * 1000);
      this.#outcomes[o.outcome] += 1;
      this.#emitOutcome(d.tenant, targetOf(d.breakerKey), d.breakerKey, o.outcome, latency, false);
    } finally {
      this.hot.release();
    }
    return 'taken';
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
      outcomes: { ...this.#outcomes },
      unknown: { ...this.#unknown },
      refusals: { ...this.#refusals },
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

/**
 * Each tenant's pressure config before its policy's tuning: the deployment's, with the wait target at the tenant's own
 * service-level threshold where it has one. One config per distinct threshold (thresholds come from configuration, so
 * they are few); a threshold the deployment's `pressure` settings cannot take is reported once and the tenant keeps
 * the deployment's config.
 */
function pressureOfTenant(
  deployment: PressureConfig,
  serviceLevelMs: number | undefined,
  serviceLevelMsOf: ((tenant: string) => number) | undefined,
  pressureAt: (threshold: number) => PressureConfig,
  log: ControlServiceOptions['log'],
): (tenant: string) => PressureConfig {
  if (serviceLevelMsOf === undefined) return () => deployment;
  const byThreshold = new Map<number, PressureConfig>();
  return (tenant) => {
    const t = serviceLevelMsOf(tenant);
    if (t === serviceLevelMs || !(Number.isFinite(t) && t > 0)) return deployment;
    let config = byThreshold.get(t);
    if (config === undefined) {
      try {
        config = pressureAt(t);
      } catch (err) {
        log?.warn(
          { tenant, serviceLevelMs: t, err: (err as Error)?.message },
          "control: the tenant's service-level threshold conflicts with the pressure settings; it keeps the deployment's",
        );
        config = deployment;
      }
      byThreshold.set(t, config);
    }
    return config;
  };
}
