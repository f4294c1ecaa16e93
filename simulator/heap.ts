/**
 * The future-event list of the simulation: a binary min-heap ordered by time, then class, then
 * insertion order, so events at the same instant run in a fixed, reproducible order.
 */
export interface Scheduled {
  /** When it fires, epoch ms. */
  readonly at: number;
  /** Tie-break before insertion order at equal times: lower runs first. */
  readonly cls: number;
  /** Insertion number, assigned by the heap. */
  readonly seq: number;
  readonly fire: () => void;
}

const before = (a: Scheduled, b: Scheduled): boolean =>
  a.at < b.at || (a.at === b.at && (a.cls < b.cls || (a.cls === b.cls && a.seq < b.seq)));

/** A min-heap of {@link Scheduled} items. */
export class EventHeap {
  readonly #items: Scheduled[] = [];
  #seq = 0;

  /** Items waiting. */
  get size(): number {
    return this.#items.length;
  }

  /**
   * Schedules `fire` at `at`.
   * @param at epoch ms
   * @param cls tie-break class at equal times (lower first)
   */
  push(at: number, cls: number, fire: () => void): void {
    const items = this.#items;
    const item: Scheduled = { at, cls, seq: this.#seq++, fire };
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!before(item, parent)) break;
      items[i] = parent;
      i = p;
    }
    items[i] = item;
  }

  /** The earliest item, without removing it. */
  peek(): Scheduled | undefined {
    return this.#items[0];
  }

  /** Removes and returns the earliest item. */
  pop(): Scheduled | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const c = r < items.length && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[c]!, last)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = last;
    return top;
  }
}
