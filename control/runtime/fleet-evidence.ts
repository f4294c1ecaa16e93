/**
 * When a target's fleet breaker may open: on evidence from more than one tenant.
 *
 * A call of tenant T to target K passes two breakers: K's fleet breaker and T's
 * own breaker for K. T's own breaker trips on T's outcomes alone and sends only
 * T's calls elsewhere. The fleet breaker (which sends every tenant's calls
 * elsewhere) hears only its own probes and never trips on a window; it trips when
 * the own breakers of `quorum` different tenants for K are open at once. The
 * quorum is `min(quorum, known tenants)`, so a deployment with one tenant keeps
 * a fleet breaker that follows that tenant's evidence.
 *
 * While the fleet breaker is half-open, calls probe it as any breaker; a failed
 * (or slow) probe counts against it only when it is corroborated: the tenants
 * that failed a probe of this trial, together with the tenants whose own
 * breaker for K is not closed, make up the quorum. An uncorroborated failure is
 * handed back (the probe never happened; T's own breaker has recorded it).
 */
import type { CircuitBreaker } from '../breaker/breaker.js';
import type { BreakerStateName } from '../breaker/machine.js';

/** The two breakers a tenant's call to one target passes. The registry updates the fields when a peer's state replaces a breaker. */
export interface TargetBreakers {
  readonly target: string;
  fleet: CircuitBreaker;
  own: CircuitBreaker;
  /**
   * Decision time (epoch ms) of the latest-decided call of the tenant that the node answered (`connected` or
   * `failed`, as reported): a node that answered a call decided after another is not silent, so that other's
   * lost outcome is not held against it (see `RouteEngine.expire`).
   */
  answeredFor: number;
  /** Decision time (epoch ms) of the latest call of the tenant sent to this target (routed here, permits taken). */
  sentFor: number;
  /**
   * Decision time (epoch ms) of the latest-decided call of the tenant, to any target, that was decided no later
   * than {@link sentFor} and whose outcome has come back: the proxy reported calls of the period in which this
   * target was being sent calls (see `RouteEngine.expire`). Kept by `RouteEngine` (at each call sent here, and at
   * each outcome through the tenant's `TenantAdmission.sentTo`).
   */
  reportedWhileSent: number;
}

/**
 * The state a tenant's call sees: a forced or open fleet breaker decides alone
 * (an operator's force is trusted either way); otherwise the tenant's own open
 * breaker closes the target for that tenant, and either half-open makes the
 * call a probe.
 */
export function effectiveState(p: TargetBreakers): BreakerStateName {
  const f = p.fleet.state;
  if (f === 'open' || f === 'forced-open' || f === 'forced-closed') return f;
  const o = p.own.state;
  if (o === 'open') return 'open';
  return f === 'half-open' || o === 'half-open' ? 'half-open' : 'closed';
}

/** What {@link FleetEvidence} reads. */
export interface FleetEvidenceOptions {
  readonly quorum: number;
  readonly tenantCount: () => number;
  readonly fleet: (target: string) => CircuitBreaker;
  readonly tenants: () => ReadonlyMap<string, ReadonlyMap<string, TargetBreakers>>;
}

/** See the module comment. */
export class FleetEvidence {
  readonly #options: FleetEvidenceOptions;
  /** Per target: tenants that failed a probe of the fleet trial `gen`. */
  readonly #failed = new Map<string, { gen: number; tenants: Set<string> }>();

  constructor(options: FleetEvidenceOptions) {
    this.#options = options;
  }

  /** Tenants needed now. */
  required(): number {
    return Math.max(1, Math.min(this.#options.quorum, this.#options.tenantCount()));
  }

  /** Tenants (known ones) whose own breaker for `target` is open or half-open. */
  unrecovered(target: string): string[] {
    const out: string[] = [];
    for (const [tenant, pairs] of this.#options.tenants()) {
      if (tenant === '') continue;
      const s = pairs.get(target)?.own.state;
      if (s === 'open' || s === 'half-open') out.push(tenant);
    }
    return out;
  }

  /** `tenant`'s own breaker for `target` opened: trip the fleet breaker if the quorum is met. */
  tenantOpened(target: string, tenant: string): void {
    const fleet = this.#options.fleet(target);
    if (fleet.state !== 'closed') return;
    const open = this.unrecovered(target);
    if (!open.includes(tenant)) open.push(tenant);
    if (open.length < this.required()) return;
    open.sort();
    const shown = open.length > 5 ? `${open.slice(0, 5).join(', ')} and ${open.length - 5} more` : open.join(', ');
    fleet.trip(`breakers of ${open.length} tenants open at once (${shown})`);
  }

  /** Whether a failed probe of the fleet breaker by `tenant` counts (see the module comment). */
  corroborated(target: string, tenant: string): boolean {
    const s = this.#options.fleet(target).machineState;
    if (s.name !== 'half-open') return true;
    let f = this.#failed.get(target);
    if (f === undefined || f.gen !== s.gen) this.#failed.set(target, (f = { gen: s.gen, tenants: new Set() }));
    if (tenant !== '') f.tenants.add(tenant);
    const all = new Set(f.tenants);
    for (const t of this.unrecovered(target)) all.add(t);
    return all.size >= this.required();
  }
}
