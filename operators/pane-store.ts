import type { Aggregator } from './aggregators.js';

/** One key's accumulator in one pane. */
export class PaneEntry<A> {
  /** Set on every add; cleared after an early firing has reported it. */
  dirty = true;
  constructor(
    public acc: A,
    /** Events folded into `acc`. */
    public count: number,
  ) {}
}

/** A key's accumulator merged over several panes. */
export interface Merged<A> {
  acc: A;
  count: number;
}

/**
 * Keyed pane state: pane index → (key → accumulator). Organised pane-first so
 * that freeing a pane is one `Map` drop, whatever the number of keys, and so
 * that the hot path (events of the current pane) hits a cached pane map.
 */
export class PaneStore<T, K, A> {
  /** Open pane indexes, ascending (pane index = floor(ts / paneMs)). */
  readonly order: number[] = [];
  readonly #panes = new Map<number, Map<K, PaneEntry<A>>>();
  #entries = 0;
  #cacheIndex = NaN;
  #cachePane: Map<K, PaneEntry<A>> | undefined;

  constructor(private readonly agg: Aggregator<T, A, unknown>) {}

  /** Folds `value` into `key`'s accumulator of pane `index`, creating either if absent. */
  add(index: number, key: K, value: T): void {
    let pane = index === this.#cacheIndex ? this.#cachePane : this.#panes.get(index);
    if (pane === undefined) pane = this.#open(index);
    this.#cacheIndex = index;
    this.#cachePane = pane;
    const entry = pane.get(key);
    if (entry === undefined) {
      pane.set(key, new PaneEntry(this.agg.add(this.agg.create(), value), 1));
      this.#entries++;
    } else {
      entry.acc = this.agg.add(entry.acc, value);
      entry.count++;
      entry.dirty = true;
    }
  }

  /** The entries of pane `index`, if open. */
  pane(index: number): Map<K, PaneEntry<A>> | undefined {
    return this.#panes.get(index);
  }

  /** Number of open panes. */
  get size(): number {
    return this.order.length;
  }

  /** Accumulators held: one per key per open pane. */
  get entries(): number {
    return this.#entries;
  }

  /**
   * Merges every key's accumulators over panes `[from, to)` into fresh
   * accumulators. The caller owns the returned accumulators (see {@link dispose}).
   */
  mergeAll(from: number, to: number): Map<K, Merged<A>> {
    const out = new Map<K, Merged<A>>();
    for (const index of this.order) {
      if (index < from) continue;
      if (index >= to) break;
      const pane = this.#panes.get(index) as Map<K, PaneEntry<A>>;
      for (const [key, entry] of pane) {
        const m = out.get(key);
        if (m === undefined) out.set(key, { acc: this.agg.merge(this.agg.create(), entry.acc), count: entry.count });
        else {
          m.acc = this.agg.merge(m.acc, entry.acc);
          m.count += entry.count;
        }
      }
    }
    return out;
  }

  /** Merges one key's accumulators over panes `[from, to)`; undefined when the key has none. */
  mergeKey(key: K, from: number, to: number): Merged<A> | undefined {
    let m: Merged<A> | undefined;
    for (const index of this.order) {
      if (index < from) continue;
      if (index >= to) break;
      const entry = (this.#panes.get(index) as Map<K, PaneEntry<A>>).get(key);
      if (entry === undefined) continue;
      if (m === undefined) m = { acc: this.agg.merge(this.agg.create(), entry.acc), count: entry.count };
      else {
        m.acc = this.agg.merge(m.acc, entry.acc);
        m.count += entry.count;
      }
    }
    return m;
  }

  /** Hands an accumulator returned by {@link mergeAll}/{@link mergeKey} back to the aggregator. */
  dispose(acc: A): void {
    this.agg.dispose?.(acc);
  }

  /** Frees the oldest open pane. */
  dropOldest(): void {
    const index = this.order.shift();
    if (index === undefined) return;
    this.#free(index);
  }

  /** Frees every pane. */
  clear(): void {
    for (const index of this.order) this.#free(index);
    this.order.length = 0;
  }

  #free(index: number): void {
    const pane = this.#panes.get(index);
    this.#panes.delete(index);
    this.#entries -= pane?.size ?? 0;
    if (index === this.#cacheIndex) {
      this.#cacheIndex = NaN;
      this.#cachePane = undefined;
    }
    if (pane !== undefined && this.agg.dispose !== undefined) for (const entry of pane.values()) this.agg.dispose(entry.acc);
  }

  #open(index: number): Map<K, PaneEntry<A>> {
    const pane = new Map<K, PaneEntry<A>>();
    this.#panes.set(index, pane);
    const order = this.order;
    let i = order.length;
    while (i > 0 && (order[i - 1] as number) > index) i--;
    order.splice(i, 0, index);
    return pane;
  }
}
