/**
 * Every breaker of one control instance, by id:
 *
 * - **fleet breakers**, one per target (`cti:<node>`, `channel:<name>`) and per
 *   Sluice dependency (`clickhouse-sink`, `workflow-notifier`): what an operator
 *   forces, what the state view and the metrics show;
 * - **tenant breakers**, one per (tenant, target) (`<target>@<tenant>`), fed by
 *   that tenant's outcomes only and routing only that tenant's calls away.
 *
 * A target's fleet breaker hears only the outcomes of its own half-open probes
 * (its figures in {@link BreakerRegistry.snapshots} are the sums of the tenant
 * breakers' windows) and never trips on a window: it opens when the breakers of
 * at least `quorum` tenants for that target are open at once (see
 * `fleet-evidence.ts`), so one tenant's reports can never route another
 * tenant's calls away.
 *
 * Peers share breaker state as the serialised machine state (not as forced
 * transitions): a remote state newer than the local one (by the time it was
 * entered) replaces it, keeping this instance's window of outcomes. Sharing
 * `until` this way also gives every instance the same half-open trial, hence
 * one fleet-wide probe budget.
 */
import type { Clock } from '../../adapters/clock.js';
import type { BreakerSnapshot, BreakerTransition } from '../breaker/api.js';
import { CircuitBreaker } from '../breaker/breaker.js';
import type { BreakerConfig } from '../breaker/config.js';
import type { BreakerState, BreakerStateName } from '../breaker/machine.js';
import type { ProbeBudget } from '../breaker/probe-budget.js';
import { parseBreakerState } from '../breaker/state-json.js';
import { Emitter } from '../../core/emitter.js';
import type { Emits, Listener } from '../../core/emitter.js';
import type { Random } from '../types.js';
import { FleetEvidence } from './fleet-evidence.js';
import type { TargetBreakers } from './fleet-evidence.js';

export { effectiveState } from './fleet-evidence.js';
export type { TargetBreakers } from './fleet-evidence.js';

/** Dependency breaker ids. */
export const DEPENDENCY_BREAKERS = Object.freeze({ clickhouseSink: 'clickhouse-sink', workflowNotifier: 'workflow-notifier' });

/** The pseudo-tenant of calls for tenants without a routing table (they share one set of breakers). */
export const UNKNOWN_TENANT = '';

/** Id of a tenant's breaker for `target`. */
export const tenantBreakerId = (tenant: string, target: string): string => `${target}@${tenant}`;

/** A transition, local (this instance's evidence) or applied from a peer. */
export interface RegistryTransition extends BreakerTransition {
  readonly source: 'local' | 'peer';
  /** Set for a tenant breaker. */
  readonly tenant?: string;
}

/** Events of the registry. */
export interface RegistryEvents {
  transition: RegistryTransition;
}

/** Registry options. */
export interface BreakerRegistryOptions {
  readonly clock: Clock;
  readonly random?: Random;
  /** Shared (fleet-wide) or local probe budget for every breaker. */
  readonly probeBudget?: ProbeBudget;
  /** Config per target or dependency id (default: the core's defaults); tenant breakers take their target's. */
  readonly configFor?: (id: string) => Partial<BreakerConfig> | undefined;
  /** Whether `tenant` may get breakers of its own (a known tenant); others share {@link UNKNOWN_TENANT}'s. */
  readonly knows?: (tenant: string) => boolean;
  /** Tenants the deployment knows, for the quorum (default 2). */
  readonly tenantCount?: () => number;
  /** Tenants whose breakers must be open at once to open a fleet breaker (default 2; never more than the known tenants). */
  readonly quorum?: number;
  /** Most tenants with breakers of their own (default 4096); the rest share {@link UNKNOWN_TENANT}'s. */
  readonly maxTenants?: number;
  /** Targets of `tenant` beyond the registry's own (the CTI nodes its policy names); they get a pair each. */
  readonly tenantTargets?: (tenant: string) => Iterable<string>;
}

/** See the module comment. */
export class BreakerRegistry implements Emits<RegistryEvents> {
  readonly #options: BreakerRegistryOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #off = new Map<string, () => void>();
  readonly #events = new Emitter<RegistryEvents>();
  readonly #fleetIds: string[];
  /** Every target with a fleet breaker: the registry's own first, then those tenants' policies added. */
  readonly #targets: string[];
  /** The registry's own targets: every tenant gets a pair for each. */
  readonly #base: readonly string[];
  /** tenant → target → its pair of breakers. */
  readonly #tenants = new Map<string, Map<string, TargetBreakers>>();
  /** tenant breaker id → [tenant, target]. */
  readonly #owners = new Map<string, readonly [string, string]>();
  readonly #evidence: FleetEvidence;

  /**
   * @param targets routing targets: a fleet breaker (tripped by evidence) each, and a breaker per tenant
   * @param dependencies Sluice's own dependencies: a plain breaker each
   * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad breaker config
   */
  constructor(targets: Iterable<string>, dependencies: Iterable<string>, options: BreakerRegistryOptions) {
    this.#options = options;
    this.#targets = [...new Set(targets)];
    this.#base = [...this.#targets];
    for (const id of this.#targets) this.#attach(new CircuitBreaker(this.#breakerOptions(id, id, false)));
    for (const id of new Set(dependencies))
      if (!this.#breakers.has(id)) this.#attach(new CircuitBreaker(this.#breakerOptions(id, id, true)));
    this.#fleetIds = [...this.#breakers.keys()];
    this.#evidence = new FleetEvidence({
      quorum: options.quorum ?? 2,
      tenantCount: options.tenantCount ?? (() => 2),
      fleet: (target) => this.#breakers.get(target)!,
      tenants: () => this.#tenants,
    });
    this.#tenantBreakers(UNKNOWN_TENANT);
  }

  /** The breaker `id` (fleet or tenant), or undefined. Do not keep the reference: a peer's state replaces the object. */
  get(id: string): CircuitBreaker | undefined {
    return this.#breakers.get(id);
  }

  /** State of `id`; 'closed' for an id without a breaker (the router's convention). */
  stateOf(id: string): BreakerStateName {
    return this.#breakers.get(id)?.state ?? 'closed';
  }

  /** Whether `id` is a fleet breaker (a target or a dependency). */
  isFleet(id: string): boolean {
    return this.#fleetIds.includes(id);
  }

  /** Fleet breaker ids (targets, then dependencies). */
  fleetIds(): readonly string[] {
    return this.#fleetIds;
  }

  /** Every id, fleet and tenant (for the shared-state sync). */
  ids(): string[] {
    return [...this.#breakers.keys()];
  }

  /**
   * The pairs (fleet, own) of `tenant`'s calls, by target; created on first use for a
   * known tenant (up to `maxTenants`), the shared pairs of unknown tenants otherwise.
   * Stable objects: a peer's state updates the pair in place.
   */
  forTenant(tenant: string): ReadonlyMap<string, TargetBreakers> {
    const m = this.#tenants.get(tenant);
    if (m !== undefined) return m;
    if (tenant === UNKNOWN_TENANT || !(this.#options.knows?.(tenant) ?? true) || this.#tenants.size > (this.#options.maxTenants ?? 4_096))
      return this.#tenants.get(UNKNOWN_TENANT)!;
    return this.#tenantBreakers(tenant);
  }

  /**
   * Makes sure each of `keys` (the CTI nodes `tenant`'s policy names) has a fleet
   * breaker, and `tenant`, when it has breakers of its own, a pair for it.
   * A target stays once added (its state may be shared by peers).
   */
  useTargets(tenant: string, keys: Iterable<string>): void {
    for (const key of keys) {
      this.#addTarget(key);
      const pairs = this.#tenants.get(tenant);
      if (pairs !== undefined && tenant !== UNKNOWN_TENANT && !pairs.has(key)) this.#addPair(tenant, pairs, key);
    }
  }

  /** Whether `tenant` has breakers of its own already. */
  hasTenant(tenant: string): boolean {
    return this.#tenants.has(tenant);
  }

  /**
   * Whether a failed fleet probe of `tenant` on `target` counts against the fleet
   * breaker: only when tenants in the quorum failed too (see `fleet-evidence.ts`).
   */
  corroborated(target: string, tenant: string): boolean {
    return this.#evidence.corroborated(target, tenant);
  }

  /** Snapshots of the fleet breakers; a target's calls, errors and slow calls are the sums over its tenant breakers' windows. */
  snapshots(): BreakerSnapshot[] {
    return this.#fleetIds.map((id) => {
      const s = this.#breakers.get(id)!.snapshot();
      if (!this.#targets.includes(id)) return s;
      let calls = 0;
      let errors = 0;
      let slow = 0;
      for (const pairs of this.#tenants.values()) {
        const p = pairs.get(id);
        if (p === undefined) continue;
        const w = p.own.snapshot();
        calls += w.calls;
        errors += w.errors;
        slow += w.slow;
      }
      return { ...s, calls, errors, slow, errorRatio: calls === 0 ? 0 : errors / calls, slowRatio: calls === 0 ? 0 : slow / calls };
    });
  }

  /** Snapshots of tenant breakers (of `tenant` only when given), each with its tenant and target. */
  tenantSnapshots(tenant?: string): (BreakerSnapshot & { tenant: string; target: string })[] {
    const out: (BreakerSnapshot & { tenant: string; target: string })[] = [];
    for (const [t, pairs] of this.#tenants) {
      if (tenant !== undefined && t !== tenant) continue;
      for (const [target, p] of pairs) out.push({ ...p.own.snapshot(), tenant: t, target });
    }
    return out;
  }

  /**
   * Applies a peer's machine state when it is newer than the local one (entered
   * later; at the same millisecond the more severe state wins, then the greater
   * instance tag, so every instance settles on the same state) and is not the
   * same trial or open period already held here. A tenant breaker this instance
   * does not have yet is created first when the tenant is known here.
   * @param origin the peer's tag
   * @param self this instance's tag
   * @returns whether the local state was replaced
   */
  applyRemote(id: string, remote: unknown, origin: string, self: string): boolean {
    let b = this.#breakers.get(id);
    if (b === undefined) {
      const at = id.lastIndexOf('@');
      const target = id.slice(0, at);
      if (at < 0 || !this.#targets.includes(target)) return false;
      const tenant = id.slice(at + 1);
      const pairs = this.forTenant(tenant);
      // A target of another of the tenant's policy versions (a peer applied it first): a pair for it.
      if (this.#tenants.get(tenant) === pairs && tenant !== UNKNOWN_TENANT && !pairs.has(target))
        this.#addPair(tenant, this.#tenants.get(tenant)!, target);
      b = this.#breakers.get(id);
      if (b === undefined) return false;
    }
    let r: BreakerState;
    try {
      r = parseBreakerState(remote);
    } catch {
      return false;
    }
    const local = b.machineState;
    if (!newer(r, origin, local, self) || sameEpisode(local, r)) return false;
    const gen = Math.max(local.gen, r.gen) + 1;
    const state: BreakerState = r.name === 'half-open' ? { ...r, gen, admitted: 0, successes: 0 } : { ...r, gen };
    const owner = this.#owners.get(id);
    const next = CircuitBreaker.restore({ ...b.toJSON(), state }, this.#breakerOptions(id, owner?.[1] ?? id, !this.#targets.includes(id)));
    this.#off.get(id)?.();
    b.dispose();
    this.#attach(next, owner?.[0]);
    this.#emit(
      {
        breakerId: id,
        from: local.name,
        to: r.name,
        reason: `${r.reason} (from ${origin})`,
        at: this.#options.clock.now(),
        k: r.k,
        ...(r.name === 'closed' || r.name === 'half-open' ? {} : { until: r.until }),
      },
      'peer',
      owner?.[0],
    );
    return true;
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). */
  on<K extends keyof RegistryEvents & string>(name: K, listener: Listener<RegistryEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** Cancels every breaker's timer. */
  dispose(): void {
    for (const off of this.#off.values()) off();
    for (const b of this.#breakers.values()) b.dispose();
  }

  #tenantBreakers(tenant: string): Map<string, TargetBreakers> {
    const pairs = new Map<string, TargetBreakers>();
    this.#tenants.set(tenant, pairs);
    for (const target of this.#base) this.#addPair(tenant, pairs, target);
    if (tenant !== UNKNOWN_TENANT) this.useTargets(tenant, this.#options.tenantTargets?.(tenant) ?? []);
    return pairs;
  }

  #addTarget(key: string): void {
    if (this.#targets.includes(key)) return;
    this.#targets.push(key);
    this.#fleetIds.push(key);
    this.#attach(new CircuitBreaker(this.#breakerOptions(key, key, false)));
  }

  #addPair(tenant: string, pairs: Map<string, TargetBreakers>, target: string): void {
    const id = tenantBreakerId(tenant, target);
    this.#owners.set(id, [tenant, target]);
    const own = new CircuitBreaker(this.#breakerOptions(id, target, true));
    pairs.set(target, {
      target,
      fleet: this.#breakers.get(target)!,
      own,
      answeredFor: Number.NEGATIVE_INFINITY,
      sentFor: Number.NEGATIVE_INFINITY,
      reportedWhileSent: Number.NEGATIVE_INFINITY,
    });
    this.#attach(own, tenant);
  }

  #breakerOptions(id: string, configId: string, autoTrip: boolean) {
    const o = this.#options;
    const config = o.configFor?.(configId);
    return {
      id,
      clock: o.clock,
      autoTrip,
      ...(o.random === undefined ? {} : { random: o.random }),
      ...(o.probeBudget === undefined ? {} : { probeBudget: o.probeBudget }),
      ...(config === undefined ? {} : { config }),
    };
  }

  #attach(b: CircuitBreaker, tenant?: string): void {
    this.#breakers.set(b.id, b);
    if (tenant !== undefined) {
      const pair = this.#tenants.get(tenant)?.get(this.#owners.get(b.id)![1]);
      if (pair !== undefined) pair.own = b;
    } else if (this.#targets.includes(b.id)) {
      for (const pairs of this.#tenants.values()) {
        const p = pairs.get(b.id);
        if (p !== undefined) p.fleet = b;
      }
    }
    this.#off.set(
      b.id,
      b.on('transition', (t) => this.#emit(t, 'local', tenant)),
    );
  }

  #emit(t: BreakerTransition, source: 'local' | 'peer', tenant: string | undefined): void {
    if (this.#events.has('transition')) this.#events.emit('transition', { ...t, source, ...(tenant === undefined ? {} : { tenant }) });
    if (tenant !== undefined && tenant !== UNKNOWN_TENANT && t.to === 'open')
      this.#evidence.tenantOpened(this.#owners.get(t.breakerId)![1], tenant);
  }
}

const SEVERITY: Readonly<Record<BreakerStateName, number>> = { closed: 0, 'half-open': 1, open: 2, 'forced-closed': 3, 'forced-open': 4 };

/** Total order of states across the fleet: entry time, then severity, then instance tag. */
function newer(r: BreakerState, origin: string, l: BreakerState, self: string): boolean {
  if (r.since !== l.since) return r.since > l.since;
  if (r.name !== l.name) return SEVERITY[r.name] > SEVERITY[l.name];
  return origin > self;
}

/** Same trial, same open or forced period, or both closed: nothing to apply. */
function sameEpisode(a: BreakerState, b: BreakerState): boolean {
  if (a.name !== b.name) return false;
  switch (a.name) {
    case 'closed':
      return true;
    case 'half-open':
      return b.name === 'half-open' && a.trial === b.trial;
    default:
      return (b as { until: number }).until === a.until;
  }
}
