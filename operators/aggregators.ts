/**
 * Mergeable aggregators. A window operator keeps one accumulator per key and
 * pane, folds events into it with `add`, combines panes with `merge`, and turns
 * an accumulator into an emitted value with `result`.
 */

/**
 * How to aggregate values of type `T` into an accumulator `A` with result `R`.
 * `add` and `merge` may mutate and return their first argument (no allocation
 * per event); they must not mutate `from`. `result` must return a value that
 * does not alias the accumulator, because the accumulator keeps changing when
 * late events arrive.
 */
export interface Aggregator<T, A, R> {
  /** A fresh, empty accumulator. */
  create(): A;
  /** Folds one value in; returns the accumulator (the same object, or a new primitive). */
  add(acc: A, value: T): A;
  /** Folds `from` into `into`; returns the result. `from` stays usable. */
  merge(into: A, from: A): A;
  /** The emitted value for an accumulator. */
  result(acc: A): R;
  /** Called when the operator forgets an accumulator (lets an aggregator recycle it). */
  dispose?(acc: A): void;
}

/** The result type of an aggregator. */
// `any` in the accumulator slot: accumulators are invariant, and only the result is read here.
// biome-ignore lint/suspicious/noExplicitAny: any accumulator; only the result type is read
export type ResultOf<G> = G extends Aggregator<never, any, infer R> ? R : never;

/** Counts events. */
export function count(): Aggregator<unknown, number, number> {
  return {
    create: () => 0,
    add: (acc) => acc + 1,
    merge: (a, b) => a + b,
    result: (acc) => acc,
  };
}

/** Sums a numeric field. @param field extracts the number to add (any unit; the sum keeps it). */
export function sum<T>(field: (value: T) => number): Aggregator<T, number, number> {
  return {
    create: () => 0,
    add: (acc, value) => acc + field(value),
    merge: (a, b) => a + b,
    result: (acc) => acc,
  };
}

/** Smallest value of a numeric field; `Infinity` for an empty window (never emitted). */
export function min<T>(field: (value: T) => number): Aggregator<T, number, number> {
  return {
    create: () => Infinity,
    add: (acc, value) => Math.min(acc, field(value)),
    merge: (a, b) => Math.min(a, b),
    result: (acc) => acc,
  };
}

/** Largest value of a numeric field; `-Infinity` for an empty window (never emitted). */
export function max<T>(field: (value: T) => number): Aggregator<T, number, number> {
  return {
    create: () => -Infinity,
    add: (acc, value) => Math.max(acc, field(value)),
    merge: (a, b) => Math.max(a, b),
    result: (acc) => acc,
  };
}

/** Accumulator of {@link mean}. */
export interface MeanAcc {
  sum: number;
  count: number;
}

/** Arithmetic mean of a numeric field (in the field's unit); `NaN` when empty. */
export function mean<T>(field: (value: T) => number): Aggregator<T, MeanAcc, number> {
  return {
    create: () => ({ sum: 0, count: 0 }),
    add: (acc, value) => {
      acc.sum += field(value);
      acc.count++;
      return acc;
    },
    merge: (a, b) => {
      a.sum += b.sum;
      a.count += b.count;
      return a;
    },
    result: (acc) => (acc.count === 0 ? NaN : acc.sum / acc.count),
  };
}

/** A named set of aggregators over the same values. */
// biome-ignore lint/suspicious/noExplicitAny: each aggregator of the record keeps its own accumulator type
export type AggregatorRecord<T> = Record<string, Aggregator<T, any, unknown>>;

/**
 * Runs several aggregators side by side; the result is a record with the same
 * names. The accumulator is one array, so an event costs one loop, not one
 * object per aggregator.
 *
 * @example
 * aggregateAll({ n: count(), busy: sum((r: Reading) => r.busyMs), longest: max((r: Reading) => r.busyMs) })
 */
export function aggregateAll<T, S extends AggregatorRecord<T>>(specs: S): Aggregator<T, unknown[], { [N in keyof S]: ResultOf<S[N]> }> {
  const names = Object.keys(specs);
  const aggs = names.map((n) => specs[n] as unknown as Aggregator<T, unknown, unknown>);
  const size = aggs.length;
  return {
    create: () => {
      const acc = new Array<unknown>(size);
      for (let i = 0; i < size; i++) acc[i] = (aggs[i] as Aggregator<T, unknown, unknown>).create();
      return acc;
    },
    add: (acc, value) => {
      for (let i = 0; i < size; i++) acc[i] = (aggs[i] as Aggregator<T, unknown, unknown>).add(acc[i], value);
      return acc;
    },
    merge: (into, from) => {
      for (let i = 0; i < size; i++) into[i] = (aggs[i] as Aggregator<T, unknown, unknown>).merge(into[i], from[i]);
      return into;
    },
    result: (acc) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[names[i] as string] = (aggs[i] as Aggregator<T, unknown, unknown>).result(acc[i]);
      return out as { [N in keyof S]: ResultOf<S[N]> };
    },
    dispose: (acc) => {
      for (let i = 0; i < size; i++) (aggs[i] as Aggregator<T, unknown, unknown>).dispose?.(acc[i]);
    },
  };
}
