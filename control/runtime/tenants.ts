/**
 * The compiled routing table of every known tenant, plus its policy. A tenant
 * becomes known when it has a policy of its own, is configured, shows up in the
 * queue snapshots, or appears in the leader's level state; any other tenant
 * gets the router's defined answer for unknown tenants (keypad IVR at L3).
 */
import type { TenantPolicy } from '../policy/schema.js';
import { DEFAULT_POLICY } from '../policy/defaults.js';
import { compileTenant, ctiBreakerKey } from '../routing-table.js';
import type { CompiledTenant } from '../routing-table.js';
import type { Scope } from '../levels/controller.js';
import type { Level } from '../types.js';

/** CTI nodes a tenant's calls go to. */
export interface CtiNodes {
  readonly primary: string;
  readonly backup?: string;
}

/** See the module comment. */
export class TenantTables {
  /** Compiled tenants, read by the router. */
  readonly compiled = new Map<string, CompiledTenant>();
  readonly #policies = new Map<string, TenantPolicy>();
  readonly #cti: CtiNodes;
  readonly #onCompiled: (t: CompiledTenant) => void;
  readonly #unknownSkillGroups: 'refuse' | 'tenant-level';

  /**
   * @param cti the deployment's CTI nodes (for tenants whose policy names none)
   * @param onCompiled told of every table compiled (e.g. to give its CTI nodes breakers)
   * @param unknownSkillGroups the deployment's answer to an unknown skill group where a policy says none
   */
  constructor(cti: CtiNodes, onCompiled: (t: CompiledTenant) => void = () => {}, unknownSkillGroups: 'refuse' | 'tenant-level' = 'refuse') {
    this.#cti = cti;
    this.#onCompiled = onCompiled;
    this.#unknownSkillGroups = unknownSkillGroups;
  }

  /** The tenant's compiled table, compiling it with its policy (default: {@link DEFAULT_POLICY}) when new. */
  ensure(tenant: string): CompiledTenant {
    let t = this.compiled.get(tenant);
    if (t === undefined) {
      t = compileTenant({ tenant, policy: this.policyOf(tenant), cti: this.#cti, unknownSkillGroups: this.#unknownSkillGroups });
      this.compiled.set(tenant, t);
      this.#onCompiled(t);
    }
    return t;
  }

  /** Breaker keys of the CTI nodes `tenant`'s calls go to (the deployment's for a tenant without a table). */
  ctiKeysOf(tenant: string): readonly string[] {
    return this.compiled.get(tenant)?.ctiKeys ?? this.#defaultKeys;
  }

  get #defaultKeys(): readonly string[] {
    return [this.#cti.primary, ...(this.#cti.backup === undefined ? [] : [this.#cti.backup])].map(ctiBreakerKey);
  }

  /** Policy in force for `tenant`. */
  policyOf(tenant: string): TenantPolicy {
    return this.#policies.get(tenant) ?? DEFAULT_POLICY;
  }

  /** Installs a new policy: recompiles the table and carries the current levels across. */
  setPolicy(tenant: string, policy: TenantPolicy): void {
    if (this.#policies.get(tenant) === policy && this.compiled.has(tenant)) return;
    this.#policies.set(tenant, policy);
    const old = this.compiled.get(tenant);
    const next = compileTenant({ tenant, policy, cti: this.#cti, unknownSkillGroups: this.#unknownSkillGroups });
    if (old !== undefined) {
      next.level = old.level;
      for (const [g, l] of old.groups) next.groups.set(g, l);
    }
    this.compiled.set(tenant, next);
    this.#onCompiled(next);
  }

  /** Registers a skill group (at L0) so it gets its own level. */
  track(tenant: string, skillGroup: string): void {
    const t = this.ensure(tenant);
    if (!t.groups.has(skillGroup)) t.groups.set(skillGroup, 0);
  }

  /** Stops routing a skill group on its own (its calls get the tenant's level). */
  dropGroup(tenant: string, skillGroup: string): void {
    this.compiled.get(tenant)?.groups.delete(skillGroup);
  }

  /** Keeps only the skill groups of `tenant` that `keep` names. */
  retainGroups(tenant: string, keep: (skillGroup: string) => boolean): void {
    const groups = this.compiled.get(tenant)?.groups;
    if (groups === undefined) return;
    for (const g of groups.keys()) if (!keep(g)) groups.delete(g);
  }

  /** Sets the routing level of a scope (tenant or tenant + skill group). */
  setLevel(scope: Scope, level: Level): void {
    const t = this.ensure(scope.tenant);
    if (scope.skillGroup === undefined) t.level = level;
    else t.groups.set(scope.skillGroup, level);
  }

  /** Routing level of a scope (L0 when unknown). */
  levelOf(scope: Scope): Level {
    const t = this.compiled.get(scope.tenant);
    if (t === undefined) return 0;
    return scope.skillGroup === undefined ? t.level : (t.groups.get(scope.skillGroup) ?? t.level);
  }

  /** Every known tenant. */
  tenants(): string[] {
    return [...this.compiled.keys()];
  }
}
