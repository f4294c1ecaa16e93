import { tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sum } from './aggregators.js';
import { marbleScheduler, res, tracked } from './testing/streams.js';
import { slidingWindow } from './sliding-window.js';
import { event, watermark, type StreamElement } from './types.js';

const e = (ts: number, v: number) => event(v, ts);
const key = (): string => 'k';
const scheduler = marbleScheduler;

describe('slidingWindow', () => {
  it('computes several window lengths from one set of panes, at every pane boundary', () => {
    const ts = scheduler();
    const agg = tracked(sum((v: number) => v));
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<number>>('abcW 9ms |', { a: e(500, 1), b: e(1_500, 2), c: e(2_500, 4), W: watermark(2_999) });
      const out = src.pipe(slidingWindow({ paneMs: 1_000, sizeMs: [2_000, 3_000], key, aggregate: agg }));
      expectObservable(out).toBe('3ms (ABCDEF) 2ms (GHI|)', {
        A: res('k', -1_000, 1_000, 1, 1),
        B: res('k', 0, 2_000, 3, 2),
        C: res('k', 1_000, 3_000, 6, 2),
        D: res('k', -2_000, 1_000, 1, 1),
        E: res('k', -1_000, 2_000, 3, 2),
        F: res('k', 0, 3_000, 7, 3),
        G: res('k', 2_000, 4_000, 4, 1),
        H: res('k', 1_000, 4_000, 6, 2),
        I: res('k', 2_000, 5_000, 4, 1),
      });
    });
    expect(agg.live).toBe(0);
  });

  it('keeps a pane until the longest window using it has passed, then frees it', () => {
    const ts = scheduler();
    const agg = tracked(sum((v: number) => v));
    const live: number[] = [];
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<number>>('aWV', { a: e(500, 1), W: watermark(999), V: watermark(2_999) });
      const out = src.pipe(
        slidingWindow({ paneMs: 1_000, sizeMs: 3_000, key, aggregate: agg }),
        tap(() => live.push(agg.live)),
      );
      expectObservable(out).toBe('-x(yz)', {
        x: res('k', -2_000, 1_000, 1, 1),
        y: res('k', -1_000, 2_000, 1, 1),
        z: res('k', 0, 3_000, 1, 1),
      });
    });
    // While emitting: the pane plus the window's merged accumulator; after the last window: nothing.
    expect(live).toEqual([2, 2, 2]);
    expect(agg.live).toBe(0);
  });

  it('rejects a window length that is not a multiple of the pane', () => {
    expect(() => slidingWindow({ paneMs: 1_000, sizeMs: [2_500], key, aggregate: sum((v: number) => v) })).toThrow(/multiple of paneMs/);
    expect(() => slidingWindow({ paneMs: 1_000, sizeMs: [], key, aggregate: sum((v: number) => v) })).toThrow(/sizeMs/);
  });
});
