/**
 * Recent decisions, in one ring per tenant, so that a tenant that never reports
 * outcomes (or floods) evicts only its own entries.
 *
 * Decision ids start with a per-process prefix plus, in base 36, the number
 * `n = seq · POOLS + pool` (what follows a `.` is the caller's, see
 * `decision-id.ts`): the id names its ring (`pool`) and its place in it
 * (`seq % capacity`), so adding and taking are array accesses, no hashing; the
 * entry's own id must equal the whole id asked for. A ring starts small and
 * doubles up to `maxPerTenant`; once full, adding overwrites (evicts) the
 * tenant's own oldest entry. Across rings at most `max` entries are kept: past
 * that, the oldest entry of the tenant holding the most is evicted.
 *
 * An entry lives `ttlMs` (the decision's lifetime: its outcome is taken, and a
 * repeat of it recognised, that long) and goes through three states
 * ({@link EntryState}): awaiting its outcome (it holds its concurrency slot);
 * unanswered for `slotTtlMs` ("unknown": `onExpire` runs once, so the slot is
 * released long before the decision's lifetime ends and a caller that loses
 * outcomes never jams routing); settled (its outcome taken, kept so a repeat is
 * answered as one). An awaiting entry evicted by a bound runs `onEvict`.
 */

/** Where an entry is in its life. */
export const EntryState = Object.freeze({ Awaiting: 0, Unknown: 1, Settled: 2 } as const);

/** What a ring needs to know about an entry. */
export interface PendingEntry {
  readonly decisionId: string;
  /** Creation time, epoch ms. */
  readonly ts: number;
  /** {@link EntryState}, changed by the rings only. */
  state: number;
}

/** Options of {@link PendingDecisions}. */
export interface PendingOptions<T> {
  /** Lifetime of an entry, ms: how long its outcome is taken and a repeat recognised. */
  readonly ttlMs: number;
  /** How long an entry awaits its outcome before it is "unknown" and `onExpire` runs, ms (≤ `ttlMs`; default `ttlMs`). */
  readonly slotTtlMs?: number;
  /** Most entries kept over all tenants. */
  readonly max: number;
  /** Most entries kept for one tenant (default `max`). */
  readonly maxPerTenant?: number;
  /** Called for every entry evicted by a bound while it awaits its outcome. */
  readonly onEvict: (entry: T) => void;
  /** Called once for every entry still awaiting its outcome `slotTtlMs` after it was made (default `onEvict`). */
  readonly onExpire?: (entry: T) => void;
  /** Called before `onEvict` when an entry is evicted by a bound: its tenant's (`tenant`) or the total (`total`). */
  readonly onBound?: (entry: T, bound: 'tenant' | 'total') => void;
}

/** Rings that ids can name; tenants beyond share ring 0 with the unknown tenants. */
export const POOLS = 4_096;
const FIRST_CAPACITY = 64;

/** One tenant's ring. */
export class PendingPool<T extends PendingEntry> {
  ring: (T | undefined)[] = new Array<T | undefined>(FIRST_CAPACITY);
  /** Next sequence number. */
  next = 0;
  /** Lowest sequence number that may still be held. */
  oldest = 0;
  /** Lowest sequence number that may still await its outcome. */
  awaiting = 0;
  /** Lowest sequence number {@link PendingDecisions.scan} has not visited. */
  scanned = 0;
  size = 0;
  constructor(readonly index: number) {}
}

/** See the module comment. */
export class PendingDecisions<T extends PendingEntry> {
  readonly #options: PendingOptions<T>;
  readonly #perTenant: number;
  readonly #pools: (PendingPool<T> | undefined)[] = [];
  readonly #byTenant = new Map<string, PendingPool<T>>();
  readonly #prefix: string;
  readonly #slotTtlMs: number;
  readonly #onExpire: (entry: T) => void;
  #size = 0;
  /** Entries awaiting their outcome. */
  #waiting = 0;
  /** Where {@link #locate} found an entry (fields, so looking up allocates nothing). */
  #at: PendingPool<T> | undefined;
  #i = 0;
  #evicted = 0;
  #tenantEvicted = 0;
  #expired = 0;

  /** @param prefix this process's decision-id prefix (ids of other prefixes are unknown here) */
  constructor(prefix: string, options: PendingOptions<T>) {
    this.#options = options;
    this.#perTenant = Math.min(options.maxPerTenant ?? options.max, options.max);
    this.#prefix = prefix;
    this.#slotTtlMs = Math.min(options.slotTtlMs ?? options.ttlMs, options.ttlMs);
    this.#onExpire = options.onExpire ?? options.onEvict;
    this.#pools[0] = new PendingPool<T>(0);
  }

  /** `tenant`'s ring (`shared`: the ring of unknown tenants, also used once every ring is taken). */
  pool(tenant: string, shared = false): PendingPool<T> {
    const p = this.#byTenant.get(tenant);
    if (p !== undefined) return p;
    if (shared || this.#pools.length >= POOLS) return this.#pools[0]!;
    const created = new PendingPool<T>(this.#pools.length);
    this.#pools.push(created);
    this.#byTenant.set(tenant, created);
    return created;
  }

  /** The number the id of the next {@link add} to `pool` must carry. */
  nextN(pool: PendingPool<T>): number {
    return pool.next * POOLS + pool.index;
  }

  /** The plain id of the next {@link add} to `pool` (prefix and number, nothing after). */
  nextId(pool: PendingPool<T>): string {
    return this.#prefix + this.nextN(pool).toString(36);
  }

  /** Whether `id` carries this process's prefix (whether or not it is still pending). */
  owns(id: string): boolean {
    return id.startsWith(this.#prefix);
  }

  /** Adds the entry for the id {@link nextId} returned; evicts what the bounds require. */
  add(pool: PendingPool<T>, entry: T): void {
    if (pool.next - pool.oldest >= pool.ring.length && pool.ring[pool.next % pool.ring.length] !== undefined) {
      if (pool.ring.length < this.#perTenant) grow(pool, this.#perTenant);
      else this.#evictOldest(pool, 'tenant');
    }
    if (this.#size >= this.#options.max) this.#evictOldest(this.#largest(), 'total');
    const i = pool.next % pool.ring.length;
    entry.state = EntryState.Awaiting;
    pool.ring[i] = entry;
    pool.size += 1;
    this.#size += 1;
    this.#waiting += 1;
    pool.next += 1;
    if (pool.next - pool.oldest > pool.ring.length) pool.oldest = pool.next - pool.ring.length;
  }

  /**
   * The entry of `id` in whatever state, or undefined when unknown, evicted, or older than the lifetime
   * at `now` (epoch ms). Settle it with {@link settle} once its outcome is taken.
   */
  find(id: string, now: number): T | undefined {
    if (!this.#locate(id)) return undefined;
    const e = this.#at!.ring[this.#i]!;
    return now - e.ts >= this.#options.ttlMs ? undefined : e;
  }

  /**
   * Makes an entry that still awaits its outcome unknown now (its slot's time-out passed before the sweep of
   * {@link expire} reached it): `onExpire` runs as it would have.
   * @returns whether it awaited
   */
  expireNow(entry: T): boolean {
    if (entry.state !== EntryState.Awaiting) return false;
    entry.state = EntryState.Unknown;
    this.#waiting -= 1;
    this.#expired += 1;
    this.#onExpire(entry);
    return true;
  }

  /** How long an entry awaits its outcome before it is unknown, ms. */
  get slotTtlMs(): number {
    return this.#slotTtlMs;
  }

  /**
   * Marks `entry`'s outcome taken (it stays, so a repeat is recognised).
   * @returns the state it was in: {@link EntryState.Awaiting} (it still held its slot), `Unknown` (a late outcome) or `Settled` (a repeat; unchanged)
   */
  settle(entry: T): number {
    const was = entry.state;
    if (was === EntryState.Awaiting) this.#waiting -= 1;
    entry.state = EntryState.Settled;
    return was;
  }

  /**
   * Removes and returns the entry if it awaits its outcome (or expired unanswered), settling it; undefined when
   * unknown, settled already, or older than the lifetime at `now` (epoch ms).
   */
  take(id: string, now: number): T | undefined {
    const e = this.find(id, now);
    if (e === undefined || e.state === EntryState.Settled) return undefined;
    this.settle(e);
    return e;
  }

  /** The entry, without settling it (undefined when unknown). */
  peek(id: string): T | undefined {
    return this.#locate(id) ? this.#at!.ring[this.#i] : undefined;
  }

  /**
   * At `now` (epoch ms): runs `onExpire` for the entries that awaited their outcome for `slotTtlMs`, and
   * drops the entries older than the lifetime, oldest first in each ring.
   * @returns how many entries became unknown
   */
  expire(now: number): number {
    let n = 0;
    for (const pool of this.#pools) {
      if (pool === undefined) continue;
      const cap = pool.ring.length;
      if (pool.awaiting < pool.oldest) pool.awaiting = pool.oldest;
      while (pool.awaiting < pool.next) {
        const e = pool.ring[pool.awaiting % cap];
        if (e !== undefined && e.state === EntryState.Awaiting) {
          if (now - e.ts < this.#slotTtlMs) break;
          e.state = EntryState.Unknown;
          this.#waiting -= 1;
          n += 1;
          this.#onExpire(e);
        }
        pool.awaiting += 1;
      }
      while (pool.oldest < pool.next) {
        const i = pool.oldest % cap;
        const e = pool.ring[i];
        if (e !== undefined) {
          if (now - e.ts < this.#options.ttlMs) break;
          this.#drop(pool, i, e);
        }
        pool.oldest += 1;
      }
    }
    this.#expired += n;
    return n;
  }

  /**
   * Visits, once each and oldest first, the entries of `pool` made before `before` (epoch ms) that still await
   * their outcome; returns how many `fn` said it handled.
   */
  scan(pool: PendingPool<T>, before: number, fn: (entry: T) => boolean): number {
    let n = 0;
    const cap = pool.ring.length;
    if (pool.scanned < pool.awaiting) pool.scanned = pool.awaiting;
    while (pool.scanned < pool.next) {
      const e = pool.ring[pool.scanned % cap];
      if (e !== undefined && e.state === EntryState.Awaiting) {
        if (e.ts >= before) break;
        if (fn(e)) n += 1;
      }
      pool.scanned += 1;
    }
    return n;
  }

  /** Entries held (in any state). */
  get size(): number {
    return this.#size;
  }

  /**
   * Counters: `pending` entries awaiting their outcome; `evicted` awaiting entries dropped because a ring or
   * the total was full (`tenantEvicted` of those by the tenant's own bound); `expired` entries that became
   * unknown (no outcome within `slotTtlMs`).
   */
  stats(): { pending: number; evicted: number; tenantEvicted: number; expired: number } {
    return { pending: this.#waiting, evicted: this.#evicted, tenantEvicted: this.#tenantEvicted, expired: this.#expired };
  }

  /** Finds `id`'s entry: true and its place in #at / #i, or false. */
  #locate(id: string): boolean {
    if (!id.startsWith(this.#prefix)) return false;
    const dot = id.indexOf('.', this.#prefix.length);
    const end = dot === -1 ? id.length : dot;
    if (end === this.#prefix.length || end > this.#prefix.length + 11) return false;
    const n = parseInt(id.slice(this.#prefix.length, end), 36);
    if (!Number.isSafeInteger(n) || n < 0) return false;
    const pool = this.#pools[n % POOLS];
    const seq = Math.floor(n / POOLS);
    if (pool === undefined || seq < pool.oldest || seq >= pool.next) return false;
    const i = seq % pool.ring.length;
    const e = pool.ring[i];
    if (e === undefined || e.decisionId !== id) return false;
    this.#at = pool;
    this.#i = i;
    return true;
  }

  #largest(): PendingPool<T> {
    let best = this.#pools[0]!;
    for (const p of this.#pools) if (p !== undefined && p.size > best.size) best = p;
    return best;
  }

  /** Evicts `pool`'s oldest entry. */
  #evictOldest(pool: PendingPool<T>, bound: 'tenant' | 'total'): void {
    const cap = pool.ring.length;
    while (pool.oldest < pool.next) {
      const i = pool.oldest % cap;
      const e = pool.ring[i];
      pool.oldest += 1;
      if (e !== undefined) {
        // Only a decision still awaiting its outcome loses something (its slot): that is what the bound's counters count.
        if (e.state === EntryState.Awaiting) {
          this.#evicted += 1;
          if (bound === 'tenant') this.#tenantEvicted += 1;
          this.#options.onBound?.(e, bound);
        }
        this.#drop(pool, i, e);
        return;
      }
    }
  }

  #drop(pool: PendingPool<T>, i: number, e: T): void {
    pool.ring[i] = undefined;
    pool.size -= 1;
    this.#size -= 1;
    if (e.state === EntryState.Awaiting) {
      this.#waiting -= 1;
      e.state = EntryState.Settled;
      this.#options.onEvict(e);
    }
  }
}

/** Doubles `pool`'s ring (up to `max`), placing the entries it holds at their new positions. */
function grow<T extends PendingEntry>(pool: PendingPool<T>, max: number): void {
  const old = pool.ring;
  const ring = new Array<T | undefined>(Math.min(max, old.length * 2));
  for (let seq = pool.oldest; seq < pool.next; seq++) {
    const e = old[seq % old.length];
    if (e !== undefined) ring[seq % ring.length] = e;
  }
  pool.ring = ring;
}
