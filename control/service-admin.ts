/**
 * The composed parts of a control instance and its operator side: pins,
 * forced breakers, the policy table, and the state view. {@link ControlService}
 * extends this with routing and the tick.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../adapters/clock.js';
import type { BreakerSnapshot } from './breaker/api.js';
import type { CircuitBreaker } from './breaker/breaker.js';
import { isSluiceError } from '../core/errors.js';
import { controlError } from './errors.js';
import type { Emitter } from '../core/emitter.js';
import type { Scope } from './levels/controller.js';
import type { PressureConfig } from './levels/pressure.js';
import type { DecisionLog } from './log/types.js';
import { slowedTenants } from './policy/non-critical.js';
import type { PolicyRecord, PolicyUpdateOptions } from './policy/store.js';
import { type AlertRules, validatePolicy } from './policy/schema.js';
import { CHANNEL_BREAKER_KEYS, ctiBreakerKey } from './routing-table.js';
import { Admission } from './runtime/admission.js';
import { CoarseClock } from './runtime/coarse-clock.js';
import { BreakerRegistry, DEPENDENCY_BREAKERS } from './runtime/breakers.js';
import type { RegistryTransition } from './runtime/breakers.js';
import { CtiView } from './runtime/cti-health.js';
import { LevelRuntime } from './runtime/levels.js';
import { ScopeBook } from './runtime/scopes.js';
import { TenantTables } from './runtime/tenants.js';
import { TenantTuning } from './runtime/tuning.js';
import { TrunkFeed } from './fleet/trunks.js';
import type { TrunkReading, TrunkReportResult } from './fleet/trunks.js';
import { silentLogger, withFields, type Logger } from '../core/logger.js';
import type { ControlEvents, ControlServiceOptions, ControlStateView } from './service-types.js';
import { Coordinator } from './fleet/coordinator.js';
import { StateStorePolicyStore } from './fleet/policy-store.js';
import { StateStoreProbeBudget } from './fleet/probe-budget.js';
import { buildStateView } from './state-view.js';
import { EventLoopLag } from './signals/engine.js';
import type { RealtimeView } from './signals/snapshot.js';
import { SnapshotSignalSource } from './signals/source.js';
import { InMemoryCallbackTickets, TicketDispatcher } from './tickets/tickets.js';
import type { Level } from './types.js';

/** Most distinct CTI nodes (breaker targets) the policies of one deployment may name in all. */
export const MAX_FLEET_CTI_NODES = 256;

/** Derived settings the service validated. */
export interface AdminSettings {
  readonly tickMs: number;
  readonly leaseMs: number;
  /** A tenant's pressure config before its policy's tuning (the deployment's, at the tenant's service level). */
  readonly pressure: (tenant: string) => PressureConfig;
  readonly events: Emitter<ControlEvents>;
}

/** How often every policy is read again from the shared store besides the change announcements, ms. */
const POLICY_RELOAD_MS = 30_000;

/** See the module comment. */
export class ControlAdmin {
  /** This instance's id. */
  readonly instanceId: string;
  protected readonly clock: Clock;
  /** The clock of the routing path: pinned once per route()/outcome() call (see CoarseClock). */
  protected readonly hot: CoarseClock;
  protected readonly tickMs: number;
  protected readonly realtime: RealtimeView;
  protected readonly events: Emitter<ControlEvents>;
  protected readonly tables: TenantTables;
  /** The skill groups each tenant tracks (bounded, idle ones dropped). */
  protected readonly book: ScopeBook;
  protected readonly breakers: BreakerRegistry;
  protected readonly cti: CtiView;
  protected readonly admission: Admission;
  protected readonly source: SnapshotSignalSource;
  protected readonly levels: LevelRuntime;
  protected readonly coordinator: Coordinator;
  protected readonly decisionLog: DecisionLog | undefined;
  protected readonly tickets: TicketDispatcher;
  protected readonly policies: StateStorePolicyStore;
  /** Each tenant's level and pressure configs (its policy's tuning over the deployment's). */
  protected readonly tuning: TenantTuning;
  /** Trunk utilisation reports, shared through the store. */
  protected readonly trunks: TrunkFeed;
  protected readonly log: Logger;
  readonly #loopLag: EventLoopLag | undefined;
  readonly #timeoutMs: number;
  /** The policy version in force here per tenant (a reload applies only what changed). */
  readonly #policyVersions = new Map<string, number>();
  #policiesReloadedAt = Number.NEGATIVE_INFINITY;
  #reloadingPolicies: Promise<void> | undefined;

  protected constructor(o: ControlServiceOptions, s: AdminSettings) {
    this.instanceId = o.instanceId;
    this.clock = o.clock;
    this.hot = new CoarseClock(o.clock);
    this.tickMs = s.tickMs;
    this.realtime = o.realtime;
    this.events = s.events;
    this.log = o.log ?? silentLogger;
    this.#timeoutMs = o.storeTimeoutMs ?? 250;
    const cti = o.ctiNodes ?? { primary: 'cti-primary', backup: 'cti-backup' };
    const ctiKeys = [cti.primary, ...(cti.backup === undefined ? [] : [cti.backup])].map(ctiBreakerKey);
    const targets = [...ctiKeys, ...Object.values(CHANNEL_BREAKER_KEYS)];
    // A table compiled with CTI nodes of the tenant's policy: breakers for them (the registry is built below, before any table).
    this.tables = new TenantTables(cti, (t) => this.breakers.useTargets(t.tenant, t.ctiKeys), o.unknownSkillGroups ?? 'refuse');
    this.book = new ScopeBook({
      ...o.scopes,
      onRefused: (tenant) => {
        if (s.events.has('limit')) s.events.emit('limit', { limit: 'skill-groups', tenant });
      },
    });
    const known = (t: string) => this.tables.compiled.has(t);
    const probeBudget = new StateStoreProbeBudget(o.stateStore, o.clock, this.#timeoutMs);
    this.breakers = new BreakerRegistry(targets, Object.values(DEPENDENCY_BREAKERS), {
      clock: this.hot,
      probeBudget,
      knows: known,
      tenantCount: () => this.tables.compiled.size,
      tenantTargets: (tenant) => this.tables.ctiKeysOf(tenant),
      ...(o.breakerQuorum === undefined ? {} : { quorum: o.breakerQuorum }),
      ...(o.random ? { random: o.random } : {}),
      ...(o.breakers ? { configFor: o.breakers } : {}),
    });
    for (const t of o.tenants ?? []) this.tables.ensure(t);
    this.cti = new CtiView(this.breakers, (tenant) => this.tables.ctiKeysOf(tenant));
    this.tuning = new TenantTuning(
      (tenant) => this.tables.policyOf(tenant).tuning,
      s.pressure,
      (tenant, err) =>
        this.log.warn(
          { tenant, err: (err as Error)?.message },
          "control: the policy's tuning conflicts with this deployment's settings; the tenant keeps them",
        ),
    );
    this.trunks = new TrunkFeed({
      store: o.stateStore,
      clock: o.clock,
      timeoutMs: this.#timeoutMs,
      ...(o.trunks?.ttlMs === undefined ? {} : { ttlMs: o.trunks.ttlMs }),
      ...(o.trunks?.maxPerTenant === undefined ? {} : { maxTrunks: o.trunks.maxPerTenant }),
    });
    this.admission = new Admission({
      clock: this.hot,
      limiterKeys: targets,
      knows: known,
      ...(o.limiter ? { limiter: o.limiter } : {}),
      ...(o.throttle ? { throttle: o.throttle } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
    this.#loopLag = o.loopLagMs === undefined ? new EventLoopLag() : undefined;
    this.source = new SnapshotSignalSource({
      view: o.realtime,
      clock: o.clock,
      ...(o.engineHealth ? { engine: o.engineHealth } : {}),
      loopLagMs: o.loopLagMs ?? (() => this.#loopLag!.readMs()),
      cti: (tenant) => this.cti.health(tenant),
      trunk: (tenant) => this.trunks.utilisation(tenant),
      admitGroup: (tenant, group, now) => this.book.admit(tenant, group, now),
      ...(o.staleSnapshotMs === undefined ? {} : { staleMs: o.staleSnapshotMs }),
    });
    this.decisionLog = o.decisionLog;
    this.levels = new LevelRuntime({
      clock: o.clock,
      tables: this.tables,
      book: this.book,
      source: this.source,
      ...(o.levels?.defaults ? { defaults: o.levels.defaults } : {}),
      ...(o.levels?.tenants ? { tenants: o.levels.tenants } : {}),
      adjust: (tenant, base) => this.tuning.level(tenant, base),
      pressureFor: (tenant) => this.tuning.pressure(tenant),
      onChange: (e) => {
        if (e.source === 'local') {
          this.decisionLog?.append({
            kind: 'level',
            ts: e.at,
            tenant: e.scope.tenant,
            skillGroup: e.scope.skillGroup,
            from: e.from,
            to: e.to,
            change: e.kind,
            reason: e.reason,
            instance: this.instanceId,
          });
        }
        this.events.emit('level', e);
      },
    });
    this.breakers.on('transition', (t) => {
      const warm = t.to === 'closed' && t.from !== 'forced-closed';
      if (t.tenant === undefined) {
        // A fleet target came back: every tenant's limiter for it ramps up again.
        if (warm) for (const a of this.admission.tenants()) a.limiter(t.breakerId)?.warmUp();
        this.events.emit('breaker', t);
        return;
      }
      if (warm)
        this.admission
          .forTenant(t.tenant)
          .limiter(t.breakerId.slice(0, t.breakerId.lastIndexOf('@')))
          ?.warmUp();
      this.events.emit('tenant-breaker', t as RegistryTransition & { tenant: string });
    });
    this.tickets = new TicketDispatcher({
      port: o.callbackTickets ?? new InMemoryCallbackTickets(),
      clock: o.clock,
      guard: () => this.breakers.get(DEPENDENCY_BREAKERS.workflowNotifier),
      onError: (err) => this.log.warn({ err: (err as Error)?.message }, 'control: callback ticket failed'),
    });
    this.policies = new StateStorePolicyStore({ store: o.stateStore, clock: o.clock, timeoutMs: this.#timeoutMs });
    this.policies.on('change', (r) => this.#applyPolicy(r));
    const self = `${o.instanceId}#${randomBytes(3).toString('hex')}`;
    this.coordinator = new Coordinator({
      store: o.stateStore,
      clock: o.clock,
      self,
      leaseMs: s.leaseMs,
      tickMs: s.tickMs,
      timeoutMs: this.#timeoutMs,
      levels: this.levels,
      breakers: this.breakers,
      admission: this.admission,
      reloadPolicies: () => this.#reloadPolicies(),
      log: withFields(this.log, { instance: this.instanceId }),
    });
  }

  /**
   * Pins a scope's level for `forMs` ms, here and (through the shared store) fleet-wide.
   * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` for a bad level or duration
   */
  pin(scope: Scope, level: Level, forMs: number, reason: string): { scope: Scope; level: Level; until: number } {
    this.tables.ensure(scope.tenant);
    const m = this.coordinator.levels.pin(scope, level, forMs, reason);
    return { scope, level, until: m.until! };
  }

  /** Ends a pin early, fleet-wide. @returns whether a pin was active here */
  unpin(scope: Scope, reason: string): boolean {
    const had = this.levels.overrideOf(scope) !== null;
    this.coordinator.levels.unpin(scope, reason);
    return had;
  }

  /**
   * Forces a breaker open or closed for `forMs` ms, or clears a force; shared with every peer.
   * @throws SluiceError `SLUICE_ERR_NOT_FOUND` for an unknown key, `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` for a bad duration
   */
  force(key: string, mode: 'open' | 'closed' | 'clear', forMs: number | undefined, reason: string): BreakerSnapshot {
    const b = this.breakers.isFleet(key) ? this.breakers.get(key) : undefined;
    if (b === undefined) throw controlError('SLUICE_ERR_NOT_FOUND', `breaker ${key} not found`);
    if (mode === 'clear') b.clearForce(reason);
    else if (mode === 'open') b.forceOpen(forMs ?? Number.NaN, reason);
    else b.forceClose(forMs ?? Number.NaN, reason);
    return this.breakers.get(key)!.snapshot();
  }

  /** The tenant's policy record from the shared store; the one in force here if the store is unreachable. */
  async policy(tenant: string): Promise<{
    tenant: string;
    current: PolicyRecord['current'] | null;
    previous: PolicyRecord['previous'];
    effective: unknown;
    stale: boolean;
  }> {
    try {
      const r = await this.policies.get(tenant);
      return {
        tenant,
        current: r?.current ?? null,
        previous: r?.previous ?? null,
        effective: r?.current.policy ?? this.tables.policyOf(tenant),
        stale: false,
      };
    } catch (err) {
      if (!isSluiceError(err) || err.code !== 'SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE') throw err;
      return { tenant, current: null, previous: null, effective: this.tables.policyOf(tenant), stale: true };
    }
  }

  /** Publishes a new policy version. @throws SluiceError `SLUICE_ERR_POLICY_INVALID`, `SLUICE_ERR_POLICY_VERSION_CONFLICT`, `SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE` */
  async putPolicy(tenant: string, policy: unknown, options: PolicyUpdateOptions): Promise<PolicyRecord> {
    const valid = validatePolicy(policy);
    const known = new Set(this.breakers.fleetIds().filter((id) => id.startsWith('cti:')));
    const added = (valid.ctiNodes ?? []).map((n) => ctiBreakerKey(n.name)).filter((k) => !known.has(k));
    if (known.size + added.length > MAX_FLEET_CTI_NODES) {
      throw controlError(
        'SLUICE_ERR_POLICY_INVALID',
        `ctiNodes would bring this deployment to ${known.size + added.length} CTI nodes; at most ${MAX_FLEET_CTI_NODES} in all`,
      );
    }
    const r = await this.policies.put(tenant, valid, options);
    this.#applyPolicy(r);
    return r;
  }

  /** Publishes the previous version again. @throws SluiceError `SLUICE_ERR_POLICY_NO_PREVIOUS` and the errors of {@link putPolicy} */
  async rollbackPolicy(tenant: string, options: PolicyUpdateOptions): Promise<PolicyRecord> {
    const r = await this.policies.rollback(tenant, options);
    this.#applyPolicy(r);
    return r;
  }

  /**
   * Records a trunk utilisation report of `tenant` (from the caller's credential) for every instance.
   * @throws SluiceError `SLUICE_ERR_CONTROL_REQUEST_INVALID`, `SLUICE_ERR_CONTROL_TRUNKS_FULL`, `SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE`
   */
  async reportTrunk(tenant: string, trunk: string, utilisation: number, ts?: number): Promise<TrunkReportResult> {
    return this.trunks.report(tenant, trunk, utilisation, ts);
  }

  /** `tenant`'s trunk reports still counting, as this instance last read them, and the signal they make. */
  trunkReadings(tenant: string): { tenant: string; ttlMs: number; utilisation?: number; trunks: TrunkReading[] } {
    const u = this.trunks.utilisation(tenant);
    return { tenant, ttlMs: this.trunks.ttlMs, ...(u === undefined ? {} : { utilisation: u }), trunks: this.trunks.readings(tenant) };
  }

  /** Levels, breakers, signals and admission; only `tenant`'s scopes when given. */
  state(tenant?: string): ControlStateView {
    return buildStateView(
      {
        at: this.clock.now(),
        instance: this.instanceId,
        shared: this.coordinator.status(),
        levels: this.levels,
        breakers: this.breakers,
        source: this.source,
        admission: this.admission,
        freshMs: 3 * this.tickMs,
      },
      tenant,
    );
  }

  /** The breaker `id` (e.g. `clickhouse-sink` to guard a writer); look it up per use, peers may replace it. */
  breaker(id: string): CircuitBreaker | undefined {
    return this.breakers.get(id);
  }

  /**
   * Tenants whose non-critical work (wallboard pushes, report queries) is slowed now: the highest level of any
   * of their scopes is one whose policy says `slowNonCritical` (`policy/non-critical.ts`). Walks every tracked
   * scope; read it through {@link localNonCriticalGate}, which computes it at most once per tick.
   */
  slowedTenants(): Set<string> {
    const tables = this.tables;
    function* scopes() {
      for (const t of tables.compiled.values()) {
        yield { tenant: t.tenant, level: t.level };
        for (const level of t.groups.values()) yield { tenant: t.tenant, level };
      }
    }
    return slowedTenants(scopes(), (t) => tables.policyOf(t));
  }

  /**
   * The centre-alert rules in force here, by tenant (tenants whose policy has an `alerts` section).
   */
  alertRules(): Map<string, AlertRules> {
    const out = new Map<string, AlertRules>();
    for (const tenant of this.tables.compiled.keys()) {
      const rules = this.tables.policyOf(tenant).alerts;
      if (rules) out.set(tenant, rules);
    }
    return out;
  }

  /** Whether `tenant` is known here (has a routing table). */
  knows(tenant: string): boolean {
    return this.tables.compiled.has(tenant);
  }

  /**
   * After each tick: tenants and skill groups seen in the snapshots (those the
   * scope book admitted) get tables; each tenant's CTI weights are refreshed.
   */
  protected discover(): void {
    for (const { scope } of this.source.latest()) {
      if (scope.skillGroup === undefined) this.tables.ensure(scope.tenant);
      else this.tables.track(scope.tenant, scope.skillGroup);
    }
    this.cti.refresh(this.tables.compiled.keys());
  }

  #applyPolicy(r: PolicyRecord): void {
    if (this.#policyVersions.get(r.tenant) === r.current.version) return;
    this.#policyVersions.set(r.tenant, r.current.version);
    this.tables.setPolicy(r.tenant, r.current.policy);
  }

  async #reloadPolicies(): Promise<void> {
    for (const r of await this.policies.all()) this.#applyPolicy(r);
  }

  /**
   * Reads every policy again when the last reload is `POLICY_RELOAD_MS` old (called each tick, never waits): a peer's
   * change whose announcement this instance missed (a reconnecting subscription, a read that kept failing) arrives
   * within that time. Never throws.
   */
  protected reloadPoliciesWhenDue(now: number): void {
    if (this.#reloadingPolicies !== undefined || now - this.#policiesReloadedAt < POLICY_RELOAD_MS) return;
    this.#policiesReloadedAt = now;
    this.#reloadingPolicies = this.#reloadPolicies()
      .catch((err: unknown) =>
        this.log.warn({ err: (err as Error)?.message }, 'control: periodic policy reload failed (the policies in force stay)'),
      )
      .finally(() => {
        this.#reloadingPolicies = undefined;
      });
  }

  /** Starts what talks to the outside world. */
  protected async startShared(): Promise<void> {
    this.#loopLag?.start();
    this.policies.start();
    this.coordinator.start();
    this.decisionLog?.start();
  }

  /** Stops it again. */
  protected async stopShared(opts: { crash?: boolean }): Promise<void> {
    await this.coordinator.stop(opts);
    await this.#reloadingPolicies;
    await this.policies.stop();
    this.tickets.stop();
    await this.decisionLog
      ?.stop()
      .catch((err: unknown) => this.log.warn({ err: (err as Error)?.message }, 'control: final log flush failed'));
    this.breakers.dispose();
    this.#loopLag?.stop();
  }
}
