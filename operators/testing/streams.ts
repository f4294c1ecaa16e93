/**
 * Helpers shared by the operator tests (not part of the public API). Imports
 * rxjs, vitest's `expect` and this folder.
 */
import { Observable, VirtualAction, VirtualTimeScheduler, type MonoTypeOperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { sum, type Aggregator } from '../aggregators.js';
import { event, watermark, type EventElement, type StreamElement, type WindowEmitKind, type WindowResult } from '../types.js';

/** A marble-test scheduler that compares frames with `toEqual`. */
export const marbleScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** The keyed value of the window tests: key `k`, number `v`. */
export interface KeyedValue {
  k: string;
  v: number;
}

/** An event of `{k, v}` at event time `ts`. */
export const keyedEvent = (k: string, ts: number, v: number): EventElement<KeyedValue> => event<KeyedValue>({ k, v }, ts);

/** The key of a {@link KeyedValue}. */
export const byKey = (x: KeyedValue): string => x.k;

/** Sums the `v` of {@link KeyedValue}s. */
export const sumOfV = () => sum((x: KeyedValue) => x.v);

/** An aggregator wrapper that counts accumulators alive (created, not yet disposed). */
export interface Tracked<T, A, R> extends Aggregator<T, A, R> {
  readonly live: number;
}

/** Wraps `inner` so a test can assert the operator handed back every accumulator. */
export function tracked<T, A, R>(inner: Aggregator<T, A, R>): Tracked<T, A, R> {
  let live = 0;
  return {
    get live() {
      return live;
    },
    create: () => {
      live++;
      return inner.create();
    },
    add: (acc, v) => inner.add(acc, v),
    merge: (a, b) => inner.merge(a, b),
    result: (acc) => inner.result(acc),
    dispose: (acc) => {
      live--;
      inner.dispose?.(acc);
    },
  };
}

/** A window result as the operators build it (version derived from count and finality). */
export function res<K, R>(
  key: K,
  windowStart: number,
  windowEnd: number,
  value: R,
  count: number,
  kind: WindowEmitKind = 'final',
): WindowResult<K, R> {
  const final = kind !== 'early';
  return { key, windowStart, windowEnd, value, count, version: 2 * count + (final ? 1 : 0), final, kind };
}

/**
 * A virtual-time scheduler whose pending actions can be inspected, bounded to
 * `maxFrames` so a leaked periodic timer ends the flush instead of looping.
 */
export function boundedScheduler(maxFrames = 10_000): VirtualTimeScheduler {
  return new VirtualTimeScheduler(VirtualAction, maxFrames);
}

/** Deterministic PRNG (xorshift32), for test data. */
export function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/**
 * Watermarks with bounded out-of-orderness, for test input: after each event newer than every
 * event before it, a watermark `newest − boundMs − 1` (events up to `boundMs` behind the newest
 * are on time). The product's pipelines place their watermarks themselves.
 *
 * @param boundMs how far behind the newest event an event may arrive, ms
 */
export function boundedWatermarks<T>(boundMs: number): MonoTypeOperatorFunction<StreamElement<T>> {
  return (source) =>
    new Observable<StreamElement<T>>((subscriber) => {
      let newest = -Infinity;
      return source.subscribe({
        next: (el) => {
          subscriber.next(el);
          if (el.kind === 'event' && el.ts > newest) {
            newest = el.ts;
            subscriber.next(watermark(newest - boundMs - 1));
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
