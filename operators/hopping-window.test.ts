import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sum } from './aggregators.js';
import { gcd, hoppingWindow } from './hopping-window.js';
import { LateOutput } from './late-output.js';
import { boundedScheduler, marbleScheduler, res, tracked } from './test-support.js';
import { event, watermark, type StreamElement } from './types.js';

const e = (ts: number, v: number) => event(v, ts);
const key = (): string => 'k';
const total = () => sum((v: number) => v);
const scheduler = marbleScheduler;

describe('hoppingWindow', () => {
  it('emits every window covering the data, each the merge of its panes', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<number>>('abcW 9ms V 9ms |', { a: e(1_000, 1), b: e(6_000, 2), c: e(11_000, 4), W: watermark(9_999), V: watermark(20_000) });
      expectObservable(src.pipe(hoppingWindow({ sizeMs: 10_000, slideMs: 5_000, key, aggregate: total() }))).toBe('3ms (pq) 6ms (rs) 6ms |', {
        p: res('k', -5_000, 5_000, 1, 1),
        q: res('k', 0, 10_000, 3, 2),
        r: res('k', 5_000, 15_000, 6, 2),
        s: res('k', 10_000, 20_000, 4, 1),
      });
    });
  });

  it('a late event updates every emitted window that contains it and is not expired', () => {
    const ts = scheduler();
    const late = new LateOutput<number>();
    ts.run(({ cold, expectObservable }) => {
      const d = e(4_000, 8);
      const src = cold<StreamElement<number>>('abW 9ms d 9ms V 9ms d 9ms X 9ms d', {
        a: e(1_000, 1),
        b: e(6_000, 2),
        W: watermark(9_999),
        d,
        V: watermark(14_000),
        X: watermark(16_000),
      });
      const out = src.pipe(hoppingWindow({ sizeMs: 10_000, slideMs: 5_000, key, aggregate: total(), allowedLatenessMs: 6_000, late }));
      // At 14 000, [−5 000, 5 000) has expired (4 999 + 6 000 ≤ 14 000) but [0, 10 000) has not (9 999 + 6 000 > 14 000);
      // at 16 000 both have, so the last d is late.
      expectObservable(out).toBe('--(pq) 6ms (uv) 16ms w 9ms r', {
        p: res('k', -5_000, 5_000, 1, 1),
        q: res('k', 0, 10_000, 3, 2),
        u: res('k', -5_000, 5_000, 9, 2, 'update'),
        v: res('k', 0, 10_000, 11, 3, 'update'),
        w: res('k', 0, 10_000, 19, 4, 'update'),
        r: res('k', 5_000, 15_000, 2, 1),
      });
      expectObservable(late.events$).toBe('52ms l', { l: { element: d, watermark: 16_000 } });
    });
    expect(late.count).toBe(1);
  });

  it('completes, errors and frees state like every window operator', () => {
    const ts = scheduler();
    const agg = tracked(total());
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<StreamElement<number>>('|').pipe(hoppingWindow({ sizeMs: 10, slideMs: 5, key, aggregate: agg }))).toBe('|');
      expectObservable(cold<StreamElement<number>>('a#', { a: e(1, 1) }).pipe(hoppingWindow({ sizeMs: 10, slideMs: 5, key, aggregate: agg }))).toBe('-#');
    });
    expect(agg.live).toBe(0);
    const sched = boundedScheduler();
    const input = new Subject<StreamElement<number>>();
    const sub = input.pipe(hoppingWindow({ sizeMs: 10, slideMs: 5, key, aggregate: agg, earlyEveryMs: 3, scheduler: sched })).subscribe();
    input.next(e(1, 1));
    input.next(e(7, 1));
    expect(agg.live).toBe(2);
    sub.unsubscribe();
    expect(agg.live).toBe(0);
    expect(sched.actions.length).toBe(0);
  });

  it('rejects a slide longer than the window', () => {
    expect(() => hoppingWindow({ sizeMs: 10, slideMs: 20, key, aggregate: total() })).toThrow(/slideMs/);
    expect(gcd(60_000, 45_000)).toBe(15_000);
  });
});
