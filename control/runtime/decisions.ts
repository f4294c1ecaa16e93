/**
 * Recent decisions awaiting their outcome, in one ring per tenant, so that a
 * tenant that never reports outcomes (or floods) evicts only its own entries.
 *
 * Decision ids start with a per-process prefix plus, in base 36, the number
 * `n = seq · POOLS + pool` (what follows a `.` is the caller's, see
 * `decision-id.ts`): the id names its ring (`pool`) and its place in it
 * (`seq % capacity`), so adding and taking are array accesses, no hashing; the
 * entry's own id must equal the whole id asked for. A ring starts small and
 * doubles up to `maxPerTenant`; once full, adding overwrites (evicts) the
 * tenant's own oldest entry. Across rings at most `max` entries are kept: past
 * that, the oldest entry of the tenant holding the most is evicted. Entries
 * older than `ttlMs` expire. Evicted or expired, `onEvict` runs, so held
 * limiter slots are released and nothing leaks when a caller never reports.
 */

/** What a ring needs to know about an entry. */
export interface PendingEntry {
  readonly decisionId: string;
  /** Creation time, epoch ms. */
  readonly ts: number;
}

/** Options of {@link PendingDecisions}. */
export interface PendingOptions<T> {
  /** Lifetime of an entry, ms. */
  readonly ttlMs: number;
  /** Most entries kept over all tenants. */
  readonly max: number;
  /** Most entries kept for one tenant (default `max`). */
  readonly maxPerTenant?: number;
  /** Called for every entry that expires or is evicted (not for those taken). */
  readonly onEvict: (entry: T) => void;
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
  #size = 0;
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
      else {
        this.#tenantEvicted += 1;
        this.#evictOldest(pool, 'tenant');
      }
    }
    if (this.#size >= this.#options.max) this.#evictOldest(this.#largest(), 'total');
    const i = pool.next % pool.ring.length;
    pool.ring[i] = entry;
    pool.size += 1;
    this.#size += 1;
    pool.next += 1;
    if (pool.next - pool.oldest > pool.ring.length) pool.oldest = pool.next - pool.ring.length;
  }

  /** Removes and returns the entry, or undefined when unknown, taken already, or expired at `now` (epoch ms). */
  take(id: string, now: number): T | undefined {
    if (!this.#locate(id)) return undefined;
    const pool = this.#at!;
    const i = this.#i;
    const e = pool.ring[i]!;
    pool.ring[i] = undefined;
    pool.size -= 1;
    this.#size -= 1;
    if (now - e.ts >= this.#options.ttlMs) {
      this.#expired += 1;
      this.#options.onEvict(e);
      return undefined;
    }
    return e;
  }

  /** The entry, without removing it (undefined when unknown). */
  peek(id: string): T | undefined {
    return this.#locate(id) ? this.#at!.ring[this.#i] : undefined;
  }

  /** Drops entries older than the TTL at `now` (epoch ms), oldest first in each ring; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const pool of this.#pools) {
      if (pool === undefined) continue;
      const cap = pool.ring.length;
      while (pool.oldest < pool.next) {
        const i = pool.oldest % cap;
        const e = pool.ring[i];
        if (e !== undefined) {
          if (now - e.ts < this.#options.ttlMs) break;
          this.#drop(pool, i, e);
          n += 1;
        }
        pool.oldest += 1;
      }
    }
    this.#expired += n;
    return n;
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Counters: evicted (because a ring or the total was full; `tenantEvicted` of those by the tenant's own bound), expired. */
  stats(): { pending: number; evicted: number; tenantEvicted: number; expired: number } {
    return { pending: this.#size, evicted: this.#evicted, tenantEvicted: this.#tenantEvicted, expired: this.#expired };
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
        this.#evicted += 1;
        this.#options.onBound?.(e, bound);
        this.#drop(pool, i, e);
        return;
      }
    }
  }

  #drop(pool: PendingPool<T>, i: number, e: T): void {
    pool.ring[i] = undefined;
    pool.size -= 1;
    this.#size -= 1;
    this.#options.onEvict(e);
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
