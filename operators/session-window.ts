import type { OperatorFunction, Subscriber } from 'rxjs';
import type { Aggregator } from './aggregators.js';
import { badEventTime, checkNumber } from './errors.js';
import { MinHeap } from './min-heap.js';
import { checkKeyedOptions, type KeyedWindowOptions } from './pane-windows.js';
import type { EventElement, StreamElement, WindowEmitKind, WindowResult } from './types.js';
import { windowOperator } from './window-run.js';

/** Options of {@link sessionWindow}. */
export interface SessionWindowOptions<T, K, A, R> extends KeyedWindowOptions<T, K, A, R> {
  /** A key's session closes after this much event time without events, ms. */
  readonly gapMs: number;
}

class Session<K, A> {
  dead = false;
  /** The result for the current bounds has been emitted as final. */
  fired = false;
  /** Some final result was emitted for (part of) this session: later ones are updates. */
  hadFinal = false;
  dirty = true;
  /** Priority of this session's live heap entry; Infinity when none. */
  queuedAt = Infinity;
  constructor(
    readonly key: K,
    public start: number,
    public end: number,
    public acc: A,
    public count: number,
  ) {}
}

/**
 * Keyed session windows: a key's events closer than `gapMs` in event time form
 * one window `[first ts, last ts + gapMs)`; sessions merge when an event bridges
 * them. A session is final when the watermark passes its end; a late event
 * within the lateness that extends or merges an emitted session emits an
 * `update` with the new bounds (the earlier result, under its old bounds, is
 * superseded). State is freed when the watermark passes end + lateness.
 */
export function sessionWindow<T, K, A, R>(
  options: SessionWindowOptions<T, K, A, R>,
): OperatorFunction<StreamElement<T>, WindowResult<K, R>> {
  checkKeyedOptions(options);
  const gap = checkNumber('gapMs', options.gapMs, { int: true, min: 1 });
  return windowOperator<T, K, R>(options, (subscriber) => new SessionRun(gap, options, subscriber));
}

class SessionRun<T, K, A, R> {
  readonly #sessions = new Map<K, Session<K, A>[]>();
  readonly #heap = new MinHeap<Session<K, A>>();
  readonly #agg: Aggregator<T, A, R>;
  readonly #lateness: number;
  #watermark = -Infinity;
  #closed = false;

  constructor(
    private readonly gap: number,
    private readonly options: KeyedWindowOptions<T, K, A, R>,
    private readonly subscriber: Subscriber<WindowResult<K, R>>,
  ) {
    this.#agg = options.aggregate;
    this.#lateness = options.allowedLatenessMs ?? 0;
  }

  onEvent(el: EventElement<T>): void {
    if (this.#closed) return; // a synchronous source may keep emitting after an error, until teardown
    const ts = el.ts;
    if (!Number.isFinite(ts)) throw badEventTime(ts);
    const key = this.options.key(el.value);
    const hi = ts + this.gap;
    let list = this.#sessions.get(key);
    let first = -1;
    let last = -1;
    let insertAt = 0;
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const s = list[i] as Session<K, A>;
        if (s.start >= hi) break;
        insertAt = i + 1;
        if (ts < s.end) {
          if (first < 0) first = i;
          last = i;
        }
      }
    }
    const w = this.#watermark;
    if (first < 0) {
      if (hi - 1 + this.#lateness <= w) {
        this.options.late?.push(el, w);
        return;
      }
      const s = new Session(key, ts, hi, this.#agg.add(this.#agg.create(), el.value), 1);
      if (list === undefined) this.#sessions.set(key, (list = []));
      list.splice(insertAt, 0, s);
      this.#settle(s);
      return;
    }
    const s = list![first] as Session<K, A>;
    for (let i = first + 1; i <= last; i++) {
      const o = list![i] as Session<K, A>;
      s.acc = this.#agg.merge(s.acc, o.acc);
      this.#agg.dispose?.(o.acc);
      s.count += o.count;
      s.end = Math.max(s.end, o.end);
      s.hadFinal ||= o.hadFinal;
      o.dead = true;
    }
    if (last > first) list!.splice(first + 1, last - first);
    s.acc = this.#agg.add(s.acc, el.value);
    s.count++;
    s.dirty = true;
    if (ts < s.start) s.start = ts;
    if (hi > s.end) s.end = hi;
    if (s.fired || last > first || ts <= w) this.#settle(s);
  }

  onWatermark(w: number): void {
    if (!(w > this.#watermark) || this.#closed) return;
    this.#watermark = w;
    const heap = this.#heap;
    while (heap.size > 0 && heap.peekKey() <= w && !this.#closed) {
      const at = heap.peekKey();
      const s = heap.pop() as Session<K, A>;
      if (s.dead || at !== s.queuedAt) continue;
      s.queuedAt = Infinity;
      const due = this.#due(s);
      // The session grew since it was queued: requeue at its real time, so sessions fire in end order.
      if (due !== at) {
        this.#queue(s, due);
        continue;
      }
      if (!s.fired) {
        this.#emit(s, s.hadFinal ? 'update' : 'final');
        s.fired = s.hadFinal = true;
        const expiry = this.#due(s);
        if (expiry > w) {
          this.#queue(s, expiry);
          continue;
        }
      }
      this.#expire(s);
    }
  }

  early(): void {
    for (const list of this.#sessions.values()) {
      for (const s of list) {
        if (this.#closed) return;
        if (s.dirty && !s.fired) this.#emit(s, 'early');
        s.dirty = false;
      }
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#agg.dispose !== undefined) for (const list of this.#sessions.values()) for (const s of list) this.#agg.dispose(s.acc);
    this.#sessions.clear();
    this.#heap.clear();
  }

  /** After a change that may have completed, reopened or re-timed `s`: emit if complete, then (re)queue. */
  #settle(s: Session<K, A>): void {
    if (s.end - 1 <= this.#watermark) {
      this.#emit(s, 'update');
      s.fired = s.hadFinal = true;
    } else s.fired = false;
    const due = this.#due(s);
    if (due < s.queuedAt) this.#queue(s, due);
  }

  #due(s: Session<K, A>): number {
    return s.fired ? s.end - 1 + this.#lateness : s.end - 1;
  }

  #queue(s: Session<K, A>, due: number): void {
    s.queuedAt = due;
    this.#heap.push(due, s);
  }

  #expire(s: Session<K, A>): void {
    s.dead = true;
    const list = this.#sessions.get(s.key);
    if (list !== undefined) {
      list.splice(list.indexOf(s), 1);
      if (list.length === 0) this.#sessions.delete(s.key);
    }
    this.#agg.dispose?.(s.acc);
  }

  #emit(s: Session<K, A>, kind: WindowEmitKind): void {
    const final = kind !== 'early';
    this.subscriber.next({
      key: s.key,
      windowStart: s.start,
      windowEnd: s.end,
      value: this.#agg.result(s.acc),
      count: s.count,
      version: 2 * s.count + (final ? 1 : 0),
      final,
      kind,
    });
  }
}
