import type { OperatorFunction, SchedulerLike, Subscriber } from 'rxjs';
import type { Aggregator } from './aggregators.js';
import { badEventTime, checkFunction, checkNumber } from './errors.js';
import type { LateOutput } from './late-output.js';
import { PaneStore, type Merged } from './pane-store.js';
import type { StateProbe } from './state-probe.js';
import type { EventElement, StreamElement, WindowEmitKind, WindowResult } from './types.js';
import { windowOperator } from './window-run.js';

/** Options shared by every keyed window operator. */
export interface KeyedWindowOptions<T, K, A, R> {
  /** The grouping key of a value (compared with `Map` semantics: strings or numbers). */
  readonly key: (value: T) => K;
  /** How values of one key and window are aggregated. */
  readonly aggregate: Aggregator<T, A, R>;
  /**
   * How long after a window's end (event-time ms, measured by the watermark) a
   * late event still updates it; later events go to `late`. Default 0.
   */
  readonly allowedLatenessMs?: number;
  /** Emit `early` results of changed, incomplete windows every this many ms of scheduler time. Default: never. */
  readonly earlyEveryMs?: number;
  /** Where events too late for any window are diverted and counted. Default: dropped uncounted. */
  readonly late?: LateOutput<T>;
  /** On source completion, emit every open window as final (end of input). Default true. */
  readonly flushOnComplete?: boolean;
  /** Clock for early firing. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Receives, for each subscription, a reader of the state it holds (accumulators: one per key per open
   * pane) and returns what unregisters it, called at teardown. Nothing is counted on the hot path: read
   * it when asked (a metrics scrape).
   */
  readonly stateProbe?: StateProbe;
}

/** A window family over panes: windows of `size` panes starting every `slide` panes. */
export interface PaneSpec {
  readonly size: number;
  readonly slide: number;
}

/** Checks the shared options once, at construction. */
export function checkKeyedOptions<T, K, A, R>(o: KeyedWindowOptions<T, K, A, R>): void {
  checkFunction('key', o.key);
  checkFunction('aggregate.add', o.aggregate?.add);
  if (o.allowedLatenessMs !== undefined) checkNumber('allowedLatenessMs', o.allowedLatenessMs, { int: true, min: 0 });
  if (o.earlyEveryMs !== undefined) checkNumber('earlyEveryMs', o.earlyEveryMs, { int: true, min: 1 });
}

/**
 * The engine behind tumbling and sliding windows: events are folded
 * into panes of `paneMs`; each window is the merge of its panes, computed when
 * the watermark passes its end. State lives per pane and is freed when the
 * watermark passes the end + allowed lateness of the last window using it.
 */
export function paneWindows<T, K, A, R>(
  paneMs: number,
  specs: readonly PaneSpec[],
  options: KeyedWindowOptions<T, K, A, R>,
): OperatorFunction<StreamElement<T>, WindowResult<K, R>> {
  return windowOperator<T, K, R>(options, (subscriber) => new PaneWindowRun(paneMs, specs, options, subscriber));
}

/*
 * Pane arithmetic. A window of `n` panes sliding by `m` panes starts at a
 * multiple of `m`, so its end (exclusive, in pane units) is ≡ n (mod m).
 */

/** The first window end (pane units) strictly above pane `j`. */
function endAfter(j: number, n: number, m: number): number {
  const r = n % m;
  return r + (Math.floor((j - r) / m) + 1) * m;
}

/** The last window end (pane units) at or below `x`. */
function endAtOrBelow(x: number, n: number, m: number): number {
  const r = n % m;
  return r + Math.floor((x - r) / m) * m;
}

class PaneWindowRun<T, K, A, R> {
  readonly #store: PaneStore<T, K, A>;
  readonly #fired: number[];
  readonly #lateness: number;
  readonly #keyOf: (value: T) => K;
  readonly #agg: Aggregator<T, A, R>;
  #watermark = -Infinity;
  /** An event in a pane at or above this index cannot touch an emitted window. */
  #firedBound = -Infinity;
  #closed = false;
  readonly #unprobe: (() => void) | undefined;

  constructor(
    private readonly paneMs: number,
    private readonly specs: readonly PaneSpec[],
    private readonly options: KeyedWindowOptions<T, K, A, R>,
    private readonly subscriber: Subscriber<WindowResult<K, R>>,
  ) {
    this.#agg = options.aggregate;
    this.#keyOf = options.key;
    this.#store = new PaneStore(options.aggregate);
    this.#fired = specs.map(() => -Infinity);
    this.#lateness = options.allowedLatenessMs ?? 0;
    this.#unprobe = options.stateProbe?.(() => this.#store.entries);
  }

  onEvent(el: EventElement<T>): void {
    if (this.#closed) return; // a synchronous source may keep emitting after an error, until teardown
    const index = Math.floor(el.ts / this.paneMs);
    if (index >= this.#firedBound) this.#store.add(index, this.#keyOf(el.value), el.value);
    else this.#onLate(el, index);
  }

  onWatermark(w: number): void {
    if (!(w > this.#watermark) || this.#closed) return;
    this.#watermark = w;
    const emax = Math.floor((w + 1) / this.paneMs);
    let bound = -Infinity;
    for (let s = 0; s < this.specs.length; s++) {
      const { size: n, slide: m } = this.specs[s] as PaneSpec;
      this.#fireUpTo(s, emax);
      const f = endAtOrBelow(emax, n, m);
      if (f > (this.#fired[s] as number)) this.#fired[s] = f;
      bound = Math.max(bound, this.#fired[s] as number);
    }
    this.#firedBound = bound;
    const order = this.#store.order;
    while (order.length > 0 && this.#retainUntil(order[0] as number) <= w) this.#store.dropOldest();
  }

  /** Emits `early` results for incomplete windows whose panes changed since the last call. */
  early(): void {
    for (let s = 0; s < this.specs.length && !this.#closed; s++) this.#eachWindow(s, Infinity, (end) => this.#emitWindow(s, end, 'early'));
    for (const index of this.#store.order) for (const entry of this.#store.pane(index)?.values() ?? []) entry.dirty = false;
  }

  close(): void {
    this.#closed = true;
    this.#unprobe?.();
    this.#store.clear();
  }

  #onLate(el: EventElement<T>, index: number): void {
    if (!Number.isFinite(el.ts)) throw badEventTime(el.ts);
    const w = this.#watermark;
    if (w >= this.#retainUntil(index)) {
      this.options.late?.push(el, w);
      return;
    }
    const key = this.#keyOf(el.value);
    this.#store.add(index, key, el.value);
    for (let s = 0; s < this.specs.length; s++) {
      const { size: n, slide: m } = this.specs[s] as PaneSpec;
      const last = Math.min(index + n, this.#fired[s] as number);
      for (let end = endAfter(index, n, m); end <= last && !this.#closed; end += m) {
        if (end * this.paneMs - 1 + this.#lateness <= w) continue;
        const merged = this.#store.mergeKey(key, end - n, end) as Merged<A>;
        this.#emit(key, end - n, end, merged.acc, merged.count, 'update');
        this.#store.dispose(merged.acc);
      }
    }
  }

  /** Calls `fn(end)` for each window end (pane units) above the fired mark and ≤ `emax` that covers an open pane. */
  #eachWindow(s: number, emax: number, fn: (end: number) => void): void {
    const { size: n, slide: m } = this.specs[s] as PaneSpec;
    const order = this.#store.order;
    const fired = this.#fired[s] as number;
    let end = fired === -Infinity ? -Infinity : fired + m;
    let i = 0;
    while (!this.#closed) {
      while (i < order.length && (order[i] as number) < end - n) i++;
      if (i >= order.length) return;
      const j = order[i] as number;
      if (j >= end) end = endAfter(j, n, m);
      if (end > emax) return;
      fn(end);
      end += m;
    }
  }

  #fireUpTo(s: number, emax: number): void {
    this.#eachWindow(s, emax, (end) => this.#emitWindow(s, end, 'final'));
  }

  /** Emits the window ending at pane `end`: every key for `final`, changed keys for `early`. */
  #emitWindow(s: number, end: number, kind: WindowEmitKind): void {
    const n = (this.specs[s] as PaneSpec).size;
    const onlyDirty = kind === 'early';
    if (n === 1) {
      const pane = this.#store.pane(end - 1);
      if (pane === undefined) return;
      for (const [key, entry] of pane) {
        if (this.#closed) return;
        if (!onlyDirty || entry.dirty) this.#emit(key, end - 1, end, entry.acc, entry.count, kind);
      }
      return;
    }
    if (onlyDirty) {
      const keys = new Set<K>();
      for (let j = end - n; j < end; j++) for (const [key, entry] of this.#store.pane(j) ?? []) if (entry.dirty) keys.add(key);
      for (const key of keys) {
        if (this.#closed) return;
        const merged = this.#store.mergeKey(key, end - n, end) as Merged<A>;
        this.#emit(key, end - n, end, merged.acc, merged.count, kind);
        this.#store.dispose(merged.acc);
      }
      return;
    }
    for (const [key, merged] of this.#store.mergeAll(end - n, end)) {
      if (this.#closed) return;
      this.#emit(key, end - n, end, merged.acc, merged.count, kind);
      this.#store.dispose(merged.acc);
    }
  }

  #emit(key: K, startPane: number, endPane: number, acc: A, count: number, kind: WindowEmitKind): void {
    const final = kind !== 'early';
    this.subscriber.next({
      key,
      windowStart: startPane * this.paneMs,
      windowEnd: endPane * this.paneMs,
      value: this.#agg.result(acc),
      count,
      version: 2 * count + (final ? 1 : 0),
      final,
      kind,
    });
  }

  /** The watermark at which pane `index` is no longer needed by any window (event-time ms). */
  #retainUntil(index: number): number {
    let until = -Infinity;
    for (const { size: n, slide: m } of this.specs) {
      const lastEnd = endAtOrBelow(index + n, n, m);
      until = Math.max(until, lastEnd * this.paneMs - 1 + this.#lateness);
    }
    return until;
  }
}
