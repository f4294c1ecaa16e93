import type { Config } from './config.js';

/** The label value every value past its label's set is folded into. */
export const OTHER_LABEL = '_other';

/**
 * Distinct values a label keeps per tenant by default: as many as the skill groups a tenant may have
 * (`SLUICE_MAX_SKILL_GROUPS_PER_TENANT`'s default), so a tenant within its limits never sees `_other`.
 */
export const DEFAULT_METRIC_LABEL_VALUES = 1_000;

/** Options of {@link LabelBounds}. */
export interface LabelBoundsOptions {
  /**
   * Tenants whose series carry their name (configured tenants and key tenants); every other tenant is
   * `_other`. Undefined: the first `valuesPerLabel` tenants seen (tests, tools).
   */
  readonly tenants?: Iterable<string>;
  /** Distinct values a label keeps per tenant, or in all for a label without a tenant. */
  readonly valuesPerLabel?: number;
  /** Called each time a value is folded into `_other` (metrics). */
  readonly onFold?: (label: string) => void;
}

/**
 * Keeps every label whose value comes from input to a fixed set: the tenant label to the tenants this
 * deployment knows, every other label to the first `valuesPerLabel` values seen per tenant (a label without a
 * tenant: in all). Values past the set, and every value of a tenant folded into `_other`, become `_other`, so
 * `/metrics` holds a bounded number of series whatever names arrive. A value, once given its own series,
 * keeps it for the life of the process (a counter's series cannot be taken back without losing its count).
 */
export class LabelBounds {
  readonly #tenants: Set<string>;
  readonly #tenantsFixed: boolean;
  readonly #perLabel: number;
  readonly #values = new Map<string, Set<string>>();
  readonly #onFold: LabelBoundsOptions['onFold'];

  constructor(opts: LabelBoundsOptions = {}) {
    const n = opts.valuesPerLabel ?? DEFAULT_METRIC_LABEL_VALUES;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`valuesPerLabel must be an integer ≥ 1, got ${n}`);
    this.#perLabel = n;
    this.#tenantsFixed = opts.tenants !== undefined;
    this.#tenants = new Set(opts.tenants ?? []);
    this.#onFold = opts.onFold;
  }

  /** The tenant's label value: its name when known, else `_other`. */
  tenant(tenant: string): string {
    const t = this.#tenant(tenant);
    if (t === OTHER_LABEL) this.#onFold?.('tenant');
    return t;
  }

  #tenant(tenant: string): string {
    if (this.#tenants.has(tenant)) return tenant;
    if (!this.#tenantsFixed && this.#tenants.size < this.#perLabel) {
      this.#tenants.add(tenant);
      return tenant;
    }
    return OTHER_LABEL;
  }

  /** The value of `label` for a series of `tenant` (pass the tenant as given; it is bounded here, its fold counted by {@link tenant}). */
  value(label: string, tenant: string, value: string): string {
    const t = this.#tenant(tenant);
    if (t === OTHER_LABEL) return OTHER_LABEL;
    return this.#admit(`${label}\u0000${t}`, label, value);
  }

  /** The value of a label whose series have no tenant (reason, breaker, …). */
  shared(label: string, value: string): string {
    return this.#admit(label, label, value);
  }

  #admit(key: string, label: string, value: string): string {
    let set = this.#values.get(key);
    if (!set) this.#values.set(key, (set = new Set()));
    if (set.has(value)) return value;
    if (set.size < this.#perLabel && value !== OTHER_LABEL) {
      set.add(value);
      return value;
    }
    this.#onFold?.(label);
    return OTHER_LABEL;
  }
}

/**
 * Sums (or takes the maximum of) values that fold into the same series: two skill groups in `_other` are
 * one series, whose calls waiting add up and whose longest wait is the longer.
 */
export function foldSeries<L extends Record<string, string>>(
  entries: Iterable<{ labels: L; value: number }>,
  combine: 'sum' | 'max',
): { labels: L; value: number }[] {
  const out = new Map<string, { labels: L; value: number }>();
  for (const e of entries) {
    const key = Object.values(e.labels).join('\u0000');
    const prev = out.get(key);
    if (!prev) out.set(key, { labels: e.labels, value: e.value });
    else prev.value = combine === 'sum' ? prev.value + e.value : Math.max(prev.value, e.value);
  }
  return [...out.values()];
}

/** The tenants a deployment knows: those it serves (`SLUICE_TENANTS`), those with API keys, and the simulated ones. */
export function knownTenants(config: Pick<Config, 'tenants' | 'apiKeys' | 'simulator' | 'simTenants'>): string[] {
  const out = new Set(config.tenants);
  for (const p of config.apiKeys.values()) if (p.tenant !== '*') out.add(p.tenant);
  if (config.simulator) for (const t of config.simTenants) out.add(t);
  return [...out];
}
