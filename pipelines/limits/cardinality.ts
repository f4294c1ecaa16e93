import type { TelemetryEvent } from '../events/types.js';

/** The kinds of names counted per tenant: each one costs memory (window state, real-time entries, metric series). */
export type NameKind = 'skillGroup' | 'agent' | 'extension';

/** Every {@link NameKind}, in the order they are reported. */
export const NAME_KINDS: readonly NameKind[] = ['skillGroup', 'agent', 'extension'];

/** Distinct names a tenant may have at once, per kind. */
export type CardinalityLimits = Readonly<Record<NameKind, number>>;

/**
 * Defaults far above a real contact center: a large one has hundreds of skill groups and a few thousand
 * seats (each seat an agent id per shift, and a phone or softphone extension, often two); 48k names are an
 * attack or a bug, not a customer.
 */
export const DEFAULT_CARDINALITY_LIMITS: CardinalityLimits = Object.freeze({ skillGroup: 1_000, agent: 20_000, extension: 20_000 });

/** A name without an event for this long leaves its tenant's count (24 h: a quiet weekend day stays counted). */
export const DEFAULT_NAME_IDLE_MS = 24 * 3600_000;

/** The dead-letter code of an event refused by {@link CardinalityLimiter}. */
export const CARDINALITY_LIMIT_CODE = 'cardinality-limit';

/** Why an event was refused. */
export interface CardinalityRefusal {
  readonly code: typeof CARDINALITY_LIMIT_CODE;
  /** Names the tenant, the kind, the limit and the refused name. */
  readonly reason: string;
  readonly tenant: string;
  readonly kind: NameKind;
  readonly limit: number;
}

/** Options of {@link CardinalityLimiter}. */
export interface CardinalityOptions {
  /** Per kind; a kind left out keeps its default. */
  readonly limits?: Partial<CardinalityLimits>;
  /** How long without an event before a name leaves the count, ms; keep it above the allowed lateness. */
  readonly idleMs?: number;
  /** Called on each refusal (metrics). */
  readonly onRefused?: (refusal: CardinalityRefusal) => void;
}

const NOUN: Readonly<Record<NameKind, [string, string]>> = {
  skillGroup: ['skill group', 'skill groups'],
  agent: ['agent', 'agents'],
  extension: ['extension', 'extensions'],
};

/** Name → when it was last seen (ms), in order of last sight: the idle ones are at the front. */
type Seen = Map<string, number>;

/**
 * Bounds the distinct skill groups, agents and extensions each tenant has in this process. An event that
 * would bring a tenant past a limit with a name new to it is refused whole (none of its names is counted);
 * events of names already counted keep flowing. A name with no event for `idleMs` leaves the count, so a
 * tenant whose names rotate is never locked out for good. What it protects is this process's memory, so the
 * count is this process's: with several pipeline workers, each holds the limit over the partitions it reads.
 * Interval reports are not counted: they are stored as received and hold no state per name.
 * Time is passed in (`now`, epoch ms, the worker's clock).
 */
export class CardinalityLimiter {
  readonly #limits: CardinalityLimits;
  readonly #idleMs: number;
  readonly #onRefused: CardinalityOptions['onRefused'];
  readonly #tenants = new Map<string, Record<NameKind, Seen>>();
  #nextSweep = Number.NEGATIVE_INFINITY;

  constructor(opts: CardinalityOptions = {}) {
    const limits = { ...DEFAULT_CARDINALITY_LIMITS, ...opts.limits };
    for (const kind of NAME_KINDS) {
      if (!Number.isInteger(limits[kind]) || limits[kind] < 1)
        throw new RangeError(`the ${kind} limit must be an integer ≥ 1, got ${limits[kind]}`);
    }
    const idleMs = opts.idleMs ?? DEFAULT_NAME_IDLE_MS;
    if (!Number.isFinite(idleMs) || idleMs <= 0) throw new RangeError(`idleMs must be a positive number of ms, got ${idleMs}`);
    this.#limits = Object.freeze(limits);
    this.#idleMs = idleMs;
    this.#onRefused = opts.onRefused;
  }

  /** The limits in force. */
  get limits(): CardinalityLimits {
    return this.#limits;
  }

  /**
   * Counts the event's names, or refuses it when one of them is new and its tenant is at that kind's limit.
   * @param now processing time, epoch ms
   * @returns undefined when admitted
   */
  admit(event: TelemetryEvent, now: number): CardinalityRefusal | undefined {
    if (event.source === 'interval') return undefined;
    if (now >= this.#nextSweep) this.expire(now);
    let t = this.#tenants.get(event.tenant);
    if (!t) this.#tenants.set(event.tenant, (t = { skillGroup: new Map(), agent: new Map(), extension: new Map() }));
    const kind: NameKind = event.source === 'skillgroup' ? 'skillGroup' : event.source;
    const name =
      event.source === 'skillgroup' ? event.body.skillGroup : event.source === 'agent' ? event.body.agentId : event.body.extension;
    // An agent's skill groups are skill groups of the tenant too (the real-time view lists them).
    const groups = event.source === 'agent' ? (event.body.skillGroups ?? []) : [];
    const refusal =
      this.#check(event.tenant, t, kind, [name], now) ??
      (groups.length > 0 ? this.#check(event.tenant, t, 'skillGroup', groups, now) : undefined);
    if (refusal) {
      this.#onRefused?.(refusal);
      return refusal;
    }
    touch(t[kind], name, now);
    for (const g of groups) touch(t.skillGroup, g, now);
    return undefined;
  }

  /** A refusal when `names` hold more new names than the tenant has room for. */
  #check(tenant: string, t: Record<NameKind, Seen>, kind: NameKind, names: readonly string[], now: number): CardinalityRefusal | undefined {
    const seen = t[kind];
    const limit = this.#limits[kind];
    if (seen.size + names.length <= limit) return undefined;
    evict(seen, now - this.#idleMs);
    const fresh = new Set(names.filter((n) => !seen.has(n)));
    if (seen.size + fresh.size <= limit) return undefined;
    const first = fresh.values().next().value;
    const [one, many] = NOUN[kind];
    return {
      code: CARDINALITY_LIMIT_CODE,
      reason: `tenant ${tenant} is at its limit of ${limit} ${many} (names idle for ${this.#idleMs} ms leave the count): new ${one} ${JSON.stringify(first)} refused`,
      tenant,
      kind,
      limit,
    };
  }

  /** Forgets the names idle past `idleMs` and the tenants left with none. `now`: epoch ms. */
  expire(now: number): void {
    const before = now - this.#idleMs;
    for (const [tenant, t] of this.#tenants) {
      for (const kind of NAME_KINDS) evict(t[kind], before);
      if (t.skillGroup.size === 0 && t.agent.size === 0 && t.extension.size === 0) this.#tenants.delete(tenant);
    }
    // A sweep costs one step per tenant: often enough that idle tenants do not pile up, rarely enough to be free.
    this.#nextSweep = now + Math.min(this.#idleMs, 60_000);
  }

  /** Names counted now, per tenant and kind (for the `sluice_cardinality_names` gauge). */
  counts(): { tenant: string; kind: NameKind; names: number }[] {
    const out: { tenant: string; kind: NameKind; names: number }[] = [];
    for (const [tenant, t] of this.#tenants)
      for (const kind of NAME_KINDS) if (t[kind].size > 0) out.push({ tenant, kind, names: t[kind].size });
    return out;
  }

  /** Every name counted, over all tenants and kinds. */
  get size(): number {
    let n = 0;
    for (const t of this.#tenants.values()) n += t.skillGroup.size + t.agent.size + t.extension.size;
    return n;
  }
}

/** Marks `name` seen at `now`, moving it to the back (the most recently seen). */
function touch(seen: Seen, name: string, now: number): void {
  seen.delete(name);
  seen.set(name, now);
}

/** Drops the names last seen before `before` (they sit at the front). */
function evict(seen: Seen, before: number): void {
  for (const [name, at] of seen) {
    if (at >= before) return;
    seen.delete(name);
  }
}
