/**
 * A binary min-heap of values by numeric priority, stored in two parallel
 * arrays so a push allocates nothing once the arrays have grown.
 */
export class MinHeap<V> {
  readonly #keys: number[] = [];
  readonly #values: V[] = [];

  /** Number of entries. */
  get size(): number {
    return this.#keys.length;
  }

  /** The smallest priority, or `Infinity` when empty. */
  peekKey(): number {
    return this.#keys.length === 0 ? Infinity : (this.#keys[0] as number);
  }

  /** Adds `value` with priority `key`. */
  push(key: number, value: V): void {
    const keys = this.#keys;
    const values = this.#values;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((keys[parent] as number) <= key) break;
      keys[i] = keys[parent] as number;
      values[i] = values[parent] as V;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  /** Removes and returns the value with the smallest priority (undefined when empty). */
  pop(): V | undefined {
    const keys = this.#keys;
    const values = this.#values;
    if (keys.length === 0) return undefined;
    const top = values[0];
    const lastKey = keys.pop() as number;
    const lastValue = values.pop() as V;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && (keys[child + 1] as number) < (keys[child] as number)) child++;
        if ((keys[child] as number) >= lastKey) break;
        keys[i] = keys[child] as number;
        values[i] = values[child] as V;
        i = child;
      }
      keys[i] = lastKey;
      values[i] = lastValue;
    }
    return top;
  }

  /** Removes every entry. */
  clear(): void {
    this.#keys.length = 0;
    this.#values.length = 0;
  }
}
