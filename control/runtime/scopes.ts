/**
 * The skill groups each tenant tracks (its level scopes), bounded and evicted.
 *
 * A skill group becomes a scope of its own (its own level, signals, routing
 * entry) when it shows up in a fresh queue snapshot or is pinned, as long as the
 * tenant tracks fewer than `maxGroupsPerTenant`; beyond that its queues still
 * count in the tenant's own scope and its calls are routed at the tenant's
 * level. A group absent from the snapshots for `idleMs`, at L0 and without a
 * pin, is dropped (checked every `sweepMs`), so names that come and go (or a
 * burst of made-up ones) do not stay in memory.
 */
import type { Scope } from '../levels/controller.js';
import { checkNumber } from '../errors.js';

/** Options of {@link ScopeBook}. */
export interface ScopeBookOptions {
  /** Most skill groups tracked per tenant (default 5000). */
  readonly maxGroupsPerTenant?: number;
  /** A group unseen this long may be dropped, ms (default 10 min). */
  readonly idleMs?: number;
  /** Called when a group is refused because its tenant tracks the most it may. */
  readonly onRefused?: (tenant: string, group: string) => void;
}

/** See the module comment. */
export class ScopeBook {
  readonly maxGroupsPerTenant: number;
  readonly idleMs: number;
  /** How often to {@link sweep}, ms. */
  readonly sweepMs: number;
  /** tenant → group → last seen in a snapshot (epoch ms). */
  readonly #tenants = new Map<string, Map<string, number>>();
  #refused = 0;
  #evicted = 0;
  readonly #onRefused: ((tenant: string, group: string) => void) | undefined;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming a bad option */
  constructor(options: ScopeBookOptions = {}) {
    this.maxGroupsPerTenant = checkNumber('control.maxSkillGroupsPerTenant', options.maxGroupsPerTenant ?? 5_000, { int: true, min: 1 });
    this.idleMs = checkNumber('control.scopeIdleMs', options.idleMs ?? 600_000, { int: true, min: 1 });
    this.sweepMs = Math.min(60_000, Math.max(1, Math.floor(this.idleMs / 4)));
    this.#onRefused = options.onRefused;
  }

  /**
   * Tracks `group` of `tenant` if it is tracked already or there is room.
   * @param now epoch ms
   * @param seen whether it was seen in a snapshot now (a pin or the leader's state is not a sighting)
   * @returns whether the group is tracked (false: the tenant's bound is reached; counted)
   */
  admit(tenant: string, group: string, now: number, seen = true): boolean {
    let groups = this.#tenants.get(tenant);
    if (groups === undefined) this.#tenants.set(tenant, (groups = new Map()));
    const last = groups.get(group);
    if (last !== undefined) {
      if (seen && now > last) groups.set(group, now);
      return true;
    }
    if (groups.size >= this.maxGroupsPerTenant) {
      this.#refused += 1;
      this.#onRefused?.(tenant, group);
      return false;
    }
    groups.set(group, now);
    return true;
  }

  /** Whether `group` of `tenant` is tracked. */
  has(tenant: string, group: string): boolean {
    return this.#tenants.get(tenant)?.has(group) ?? false;
  }

  /** Groups tracked for `tenant`. */
  count(tenant: string): number {
    return this.#tenants.get(tenant)?.size ?? 0;
  }

  /**
   * Drops groups unseen for `idleMs` that `keep` does not hold on to (a level
   * above L0, a pin). Looks at every group: call it every `sweepMs`, not every tick.
   * @returns the dropped scopes
   */
  sweep(now: number, keep: (scope: Scope) => boolean): Scope[] {
    const out: Scope[] = [];
    for (const [tenant, groups] of this.#tenants) {
      for (const [group, last] of groups) {
        if (now - last < this.idleMs) continue;
        const scope = { tenant, skillGroup: group };
        if (keep(scope)) continue;
        groups.delete(group);
        out.push(scope);
      }
      if (groups.size === 0) this.#tenants.delete(tenant);
    }
    this.#evicted += out.length;
    return out;
  }

  /** Counters: groups tracked now, refused by the bound, dropped as idle. */
  stats(): { tracked: number; refused: number; evicted: number } {
    let tracked = 0;
    for (const g of this.#tenants.values()) tracked += g.size;
    return { tracked, refused: this.#refused, evicted: this.#evicted };
  }
}
