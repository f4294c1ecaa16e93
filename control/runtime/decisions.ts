/**
 * Recent decisions awaiting their outcome. Decision ids are a per-process
 * prefix plus a sequence number (base 36), so an entry lives in a fixed ring at
 * `seq % capacity`: adding and taking are array accesses, no hashing. When the
 * ring wraps, the entry it overwrites is evicted; entries older than `ttlMs`
 * expire. Either way `onEvict` runs, so held limiter slots are released and
 * nothing leaks when a caller never reports an outcome.
 */

/** What the ring needs to know about an entry. */
export interface PendingEntry {
  readonly decisionId: string;
  /** Creation time, epoch ms. */
  readonly ts: number;
}

/** Options of {@link PendingDecisions}. */
export interface PendingOptions<T> {
  /** Lifetime of an entry, ms. */
  readonly ttlMs: number;
  /** Ring capacity: most entries kept. */
  readonly max: number;
  /** Called for every entry that expires or is evicted (not for those taken). */
  readonly onEvict: (entry: T) => void;
}

/** See the module comment. */
export class PendingDecisions<T extends PendingEntry> {
  readonly #o: PendingOptions<T>;
  readonly #ring: (T | undefined)[];
  readonly #prefix: string;
  #next = 0;
  #oldest = 0;
  #size = 0;
  #evicted = 0;
  #expired = 0;

  /** @param prefix this process's decision-id prefix (ids of other prefixes are unknown here) */
  constructor(prefix: string, options: PendingOptions<T>) {
    this.#o = options;
    this.#prefix = prefix;
    this.#ring = new Array<T | undefined>(options.max);
  }

  /** The id the next {@link add} must use. */
  nextId(): string {
    return this.#prefix + this.#next.toString(36);
  }

  /** Adds the entry for the id {@link nextId} returned; evicts the entry it overwrites. */
  add(entry: T): void {
    const i = this.#next % this.#o.max;
    const old = this.#ring[i];
    if (old !== undefined) {
      this.#evicted += 1;
      this.#size -= 1;
      this.#o.onEvict(old);
    }
    this.#ring[i] = entry;
    this.#size += 1;
    this.#next += 1;
    if (this.#next - this.#oldest > this.#o.max) this.#oldest = this.#next - this.#o.max;
  }

  /** Removes and returns the entry, or undefined when unknown, taken already, or expired at `now` (epoch ms). */
  take(id: string, now: number): T | undefined {
    const i = this.#index(id);
    if (i < 0) return undefined;
    const e = this.#ring[i];
    if (e === undefined || e.decisionId !== id) return undefined;
    this.#ring[i] = undefined;
    this.#size -= 1;
    if (now - e.ts >= this.#o.ttlMs) {
      this.#expired += 1;
      this.#o.onEvict(e);
      return undefined;
    }
    return e;
  }

  /** The entry, without removing it (undefined when unknown). */
  peek(id: string): T | undefined {
    const i = this.#index(id);
    const e = i < 0 ? undefined : this.#ring[i];
    return e !== undefined && e.decisionId === id ? e : undefined;
  }

  /** Drops entries older than the TTL at `now` (epoch ms), oldest first; returns how many. */
  expire(now: number): number {
    let n = 0;
    while (this.#oldest < this.#next) {
      const i = this.#oldest % this.#o.max;
      const e = this.#ring[i];
      if (e !== undefined) {
        if (now - e.ts < this.#o.ttlMs) break;
        this.#ring[i] = undefined;
        this.#size -= 1;
        this.#o.onEvict(e);
        n += 1;
      }
      this.#oldest += 1;
    }
    this.#expired += n;
    return n;
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Counters: evicted because the ring wrapped, expired. */
  stats(): { pending: number; evicted: number; expired: number } {
    return { pending: this.#size, evicted: this.#evicted, expired: this.#expired };
  }

  #index(id: string): number {
    if (!id.startsWith(this.#prefix) || id.length === this.#prefix.length || id.length > this.#prefix.length + 11) return -1;
    const seq = parseInt(id.slice(this.#prefix.length), 36);
    if (!Number.isSafeInteger(seq) || seq < this.#oldest || seq >= this.#next) return -1;
    return seq % this.#o.max;
  }
}
