import { DDSketch } from '@datadog/sketches-js';
import { groupBy, map, mergeMap, type Observable, reduce, Subject, tap } from 'rxjs';
import {
  aggregateAll,
  count,
  type EventElement,
  quantiles,
  sum,
  tumblingWindow,
  withWatermarks,
} from '../../operators/index.js';
import type { Measurement } from './workload.js';

/** What both pipelines produce per key and window. */
export interface Row {
  readonly key: string;
  readonly windowStart: number;
  readonly count: number;
  readonly sum: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

const QS = [0.5, 0.9, 0.99];

/** The operators under test: watermarks + keyed tumbling window with count, sum and a DDSketch. */
export function operatorsPipeline(
  source$: Observable<EventElement<Measurement>>,
  windowMs: number,
  boundMs: number,
  withSketch: boolean,
): Observable<Row> {
  const watermarked$ = source$.pipe(withWatermarks<Measurement>({ maxOutOfOrdernessMs: boundMs, minStepMs: 1_000 }));
  const key = (m: Measurement): string => m.key;
  if (!withSketch) {
    const aggregate = aggregateAll({ count: count(), sum: sum((m: Measurement) => m.latencyMs) });
    return watermarked$.pipe(
      tumblingWindow({ sizeMs: windowMs, key, aggregate }),
      map((r) => ({ key: r.key, windowStart: r.windowStart, count: r.value.count, sum: r.value.sum, p50: NaN, p90: NaN, p99: NaN })),
    );
  }
  // quantiles() reports count and sum alongside the sketch's quantiles (as DDSketch itself does).
  const aggregate = quantiles((m: Measurement) => m.latencyMs, { quantiles: QS });
  return watermarked$.pipe(
    tumblingWindow({ sizeMs: windowMs, key, aggregate }),
    map((r) => {
      const q = r.value.quantiles;
      return { key: r.key, windowStart: r.windowStart, count: r.value.count, sum: r.value.sum, p50: q.p50 ?? NaN, p90: q.p90 ?? NaN, p99: q.p99 ?? NaN };
    }),
  );
}

interface Acc {
  count: number;
  sum: number;
  sketch: DDSketch | undefined;
}

/**
 * The straightforward composition: the same event-time windows with stock
 * RxJS — a group per (key, window) via `groupBy`, `mergeMap` + `reduce` per
 * group, a plain DDSketch per group. A group ends through its duration
 * selector: one subject per window, completed when the watermark passes the
 * window end. (Not one shared watermark subject: that would make every group
 * removal an O(open groups) array search, a handicap rather than a baseline.)
 */
export function baselinePipeline(
  source$: Observable<EventElement<Measurement>>,
  windowMs: number,
  boundMs: number,
  withSketch: boolean,
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
      if (w - lastWm < 1_000) return;
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
            acc.sketch?.accept(e.value.latencyMs);
            return acc;
          },
          { count: 0, sum: 0, sketch: withSketch ? new DDSketch() : undefined },
        ),
        map((acc) => {
          const bar = g.key.lastIndexOf('|');
          return {
            key: g.key.slice(0, bar),
            windowStart: Number(g.key.slice(bar + 1)) * windowMs,
            count: acc.count,
            sum: acc.sum,
            p50: acc.sketch?.getValueAtQuantile(0.5) ?? NaN,
            p90: acc.sketch?.getValueAtQuantile(0.9) ?? NaN,
            p99: acc.sketch?.getValueAtQuantile(0.99) ?? NaN,
          };
        }),
      ),
    ),
  );
}
