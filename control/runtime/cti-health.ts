/**
 * CTI health as one tenant's calls see it, from the tenant's own breakers and
 * the fleet's: the share of CTI nodes its calls may reach (a pressure signal of
 * the tenant's scopes) and a weight per node for the active-active split. Each
 * comes from the tenant's own outcomes only, so a tenant that reports failures
 * or huge latencies raises only its own pressure and shifts only its own split.
 */
import { passable } from '../routing-table.js';
import type { CtiHealth } from '../signals/source.js';
import { effectiveState } from './breakers.js';
import type { BreakerRegistry } from './breakers.js';

/** See the module comment. */
export class CtiView {
  readonly #breakers: BreakerRegistry;
  readonly #keys: (tenant: string) => readonly string[];
  /** tenant → CTI breaker key → weight, refreshed each tick. */
  readonly #weights = new Map<string, Map<string, number>>();

  /** @param keys the CTI breaker keys of a tenant's calls (its policy's nodes, or the deployment's) */
  constructor(breakers: BreakerRegistry, keys: (tenant: string) => readonly string[]) {
    this.#breakers = breakers;
    this.#keys = keys;
  }

  /** Share of CTI nodes `tenant`'s calls may reach, and the p99 latency of its own calls (NaN without calls). */
  health(tenant: string): CtiHealth {
    const pairs = this.#breakers.hasTenant(tenant) ? this.#breakers.forTenant(tenant) : undefined;
    let up = 0;
    let latency = Number.NaN;
    const keys = this.#keys(tenant);
    for (const key of keys) {
      const p = pairs?.get(key);
      if (passable(p === undefined ? this.#breakers.stateOf(key) : effectiveState(p))) up += 1;
      if (p !== undefined && p.own.snapshot().calls > 0)
        latency = Math.max(Number.isNaN(latency) ? 0 : latency, p.own.latencyQuantileMs(0.99));
    }
    return { available: up / Math.max(1, keys.length), latencyMs: latency };
  }

  /** Weight of CTI breaker `key` in `tenant`'s active-active split, [0.05, 1] (1 before the first refresh). */
  weight(tenant: string, key: string): number {
    return this.#weights.get(tenant)?.get(key) ?? 1;
  }

  /** Recomputes every weight from the tenants' own breakers: 1 − max(error ratio, slow ratio), at least 0.05. */
  refresh(tenants: Iterable<string>): void {
    for (const tenant of tenants) {
      if (!this.#breakers.hasTenant(tenant)) continue;
      const pairs = this.#breakers.forTenant(tenant);
      let w = this.#weights.get(tenant);
      if (w === undefined) this.#weights.set(tenant, (w = new Map()));
      w.clear();
      for (const key of this.#keys(tenant)) {
        const s = pairs.get(key)?.own.snapshot();
        w.set(key, s === undefined ? 1 : Math.max(0.05, 1 - Math.max(s.errorRatio, s.slowRatio)));
      }
    }
  }
}
