/** Something with an id (for dedup) and an event time (epoch ms). */
export interface Timed {
  id: string;
  ts: number;
}

interface Entry<T> {
  e: T;
  seq: number;
}

function before<T extends Timed>(a: Entry<T>, b: Entry<T>): boolean {
  return a.e.ts < b.e.ts || (a.e.ts === b.e.ts && a.seq < b.seq);
}

/**
 * Puts a nearly ordered stream back into event-time order with bounded memory, and drops repeated ids.
 * An event is held until the largest event time seen passes it by `horizonMs`, then released in
 * (ts, arrival) order; one arriving behind what was already released is passed through at once and
 * counted as `late`. Ids are remembered until the largest event time passes them by 2 × `horizonMs`:
 * a repeat within that reach is dropped and counted as a duplicate, one beyond it is not recognised.
 */
export class EventTimeOrder<T extends Timed> {
  readonly horizonMs: number;
  #heap: Entry<T>[] = [];
  #seq = 0;
  #maxTs = Number.NEGATIVE_INFINITY;
  #releasedTs = Number.NEGATIVE_INFINITY;
  #seen = new Map<string, number>();
  #forget: Timed[] = [];
  #forgetHead = 0;
  /** Events dropped because their id was seen before. */
  duplicates = 0;
  /** Events that arrived after later events had been released. */
  late = 0;

  /** `horizonMs`: how far out of order (ms of event time) events may arrive and still be ordered. */
  constructor(horizonMs: number) {
    if (!Number.isFinite(horizonMs) || horizonMs < 0) throw new RangeError(`horizonMs must be a number of ms ≥ 0, got ${horizonMs}`);
    this.horizonMs = horizonMs;
  }

  /** Events held, waiting for the event time to move on. */
  get pending(): number {
    return this.#heap.length;
  }

  /** Adds one event; returns those now due, in event-time order. */
  push(e: T): T[] {
    if (this.#seen.has(e.id)) {
      this.duplicates++;
      return [];
    }
    this.#seen.set(e.id, e.ts);
    this.#forget.push({ id: e.id, ts: e.ts });
    if (e.ts < this.#releasedTs) {
      this.late++;
      return [e];
    }
    this.#insert({ e, seq: this.#seq++ });
    if (e.ts > this.#maxTs) this.#maxTs = e.ts;
    const out = this.#releaseUpTo(this.#maxTs - this.horizonMs);
    this.#evict();
    return out;
  }

  /** Releases everything still held, in event-time order (end of input). */
  drain(): T[] {
    return this.#releaseUpTo(Number.POSITIVE_INFINITY);
  }

  #releaseUpTo(limit: number): T[] {
    const out: T[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.e.ts <= limit) {
      const { e } = this.#pop();
      this.#releasedTs = e.ts;
      out.push(e);
    }
    return out;
  }

  #evict(): void {
    const cutoff = this.#maxTs - 2 * this.horizonMs;
    while (this.#forgetHead < this.#forget.length && this.#forget[this.#forgetHead]!.ts < cutoff) {
      this.#seen.delete(this.#forget[this.#forgetHead]!.id);
      this.#forgetHead++;
    }
    if (this.#forgetHead > 1024 && this.#forgetHead * 2 > this.#forget.length) {
      this.#forget = this.#forget.slice(this.#forgetHead);
      this.#forgetHead = 0;
    }
  }

  #insert(x: Entry<T>): void {
    const h = this.#heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Entry<T> {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
