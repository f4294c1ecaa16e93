import { groupBy, map, mergeMap, Observable, type OperatorFunction, reduce, Subject, tap } from 'rxjs';
import {
  aggregateAll,
  count,
  type EventElement,
  max,
  min,
  type StreamElement,
  sum,
  tumblingWindow,
  watermark,
} from '../../operators/index.js';
import type { Measurement } from './workload.js';

/** What both pipelines produce per key and window. */
export interface Row {
  readonly key: string;
  readonly windowStart: number;
  readonly count: number;
  readonly sum: number;
  /** NaN without `withExtremes`. */
  readonly min: number;
  readonly max: number;
}

/** Event time between two watermarks at least, ms. */
const WATERMARK_STEP_MS = 1_000;

/**
 * Watermarks as a pipeline partition places them: `newest − boundMs − 1`, once it advanced
 * at least {@link WATERMARK_STEP_MS} (the same rule the baseline applies in its `tap`).
 */
function boundedWatermarks(boundMs: number): OperatorFunction<EventElement<Measurement>, StreamElement<Measurement>> {
  return (source) =>
    new Observable<StreamElement<Measurement>>((subscriber) => {
      let maxTs = -Infinity;
      let lastWm = -Infinity;
      return source.subscribe({
        next: (e) => {
          subscriber.next(e);
          if (e.ts <= maxTs) return;
          maxTs = e.ts;
          const w = maxTs - boundMs - 1;
          if (w - lastWm < WATERMARK_STEP_MS) return;
          lastWm = w;
          subscriber.next(watermark(w));
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** The operators under test: a keyed tumbling window with count and sum, and with `withExtremes` min and max too. */
export function operatorsPipeline(
  source$: Observable<EventElement<Measurement>>,
  windowMs: number,
  boundMs: number,
  withExtremes: boolean,
): Observable<Row> {
  const watermarked$ = source$.pipe(boundedWatermarks(boundMs));
  const key = (m: Measurement): string => m.key;
  const latency = (m: Measurement): number => m.latencyMs;
  if (!withExtremes) {
    const aggregate = aggregateAll({ count: count(), sum: sum(latency) });
    return watermarked$.pipe(
      tumblingWindow({ sizeMs: windowMs, key, aggregate }),
      map((r) => ({ key: r.key, windowStart: r.windowStart, count: r.value.count, sum: r.value.sum, min: NaN, max: NaN })),
    );
  }
  const aggregate = aggregateAll({ count: count(), sum: sum(latency), min: min(latency), max: max(latency) });
  return watermarked$.pipe(
    tumblingWindow({ sizeMs: windowMs, key, aggregate }),
    map((r) => ({ key: r.key, windowStart: r.windowStart, count: r.value.count, sum: r.value.sum, min: r.value.min, max: r.value.max })),
  );
}

interface Acc {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * The straightforward composition: the same event-time windows with stock
 * RxJS — a group per (key, window) via `groupBy`, `mergeMap` + `reduce` per
 * group. A group ends through its duration selector: one subject per window,
 * completed when the watermark passes the window end. (Not one shared watermark subject: that would make every group
 * removal an O(open groups) array search, a handicap rather than a baseline.)
 */
export function baselinePipeline(
  source$: Observable<EventElement<Measurement>>,
  windowMs: number,
  boundMs: number,
  withExtremes: boolean,
): Observable<Row> {
  const closers = new Map<number, Subject<void>>();
  const closerFor = (end: number): Subject<void> => {
    let s = closers.get(end);
    if (s === undefined) closers.set(end, (s = new Subject<void>()));
    return s;
  };
  let maxTs = -Infinity;
  let lastWm = -Infinity;
  return source$.pipe(
    tap((e) => {
      if (e.ts <= maxTs) return;
      maxTs = e.ts;
      const w = maxTs - boundMs - 1;
      if (w - lastWm < WATERMARK_STEP_MS) return;
      lastWm = w;
      for (const [end, closer] of closers) {
        if (end - 1 > w) continue;
        closers.delete(end);
        closer.next();
        closer.complete();
      }
    }),
    groupBy((e) => `${e.value.key}|${Math.floor(e.ts / windowMs)}`, {
      duration: (g) => closerFor((Number(g.key.slice(g.key.lastIndexOf('|') + 1)) + 1) * windowMs),
    }),
    mergeMap((g) =>
      g.pipe(
        reduce<EventElement<Measurement>, Acc>(
          (acc, e) => {
            acc.count++;
            acc.sum += e.value.latencyMs;
            if (withExtremes) {
              acc.min = Math.min(acc.min, e.value.latencyMs);
              acc.max = Math.max(acc.max, e.value.latencyMs);
            }
            return acc;
          },
          { count: 0, sum: 0, min: withExtremes ? Infinity : NaN, max: withExtremes ? -Infinity : NaN },
        ),
        map((acc) => {
          const bar = g.key.lastIndexOf('|');
          return {
            key: g.key.slice(0, bar),
            windowStart: Number(g.key.slice(bar + 1)) * windowMs,
            count: acc.count,
            sum: acc.sum,
            min: acc.min,
            max: acc.max,
          };
        }),
      ),
    ),
  );
}
