import { from, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../core/errors.js';
import { LateOutput } from './late-output.js';
import { boundedScheduler, byKey, keyedEvent, type KeyedValue, marbleScheduler, res, sumOfV, tracked } from './testing/streams.js';
import { tumblingWindow } from './tumbling-window.js';
import { watermark, type StreamElement, type WindowResult } from './types.js';

type V = KeyedValue;
const e = keyedEvent;
const key = byKey;
const total = sumOfV;
const scheduler = marbleScheduler;

describe('tumblingWindow', () => {
  it('emits one final result per key when the watermark passes the window end; empty windows emit nothing', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('abcW 9ms dV 9ms |', {
        a: e('k1', 1_000, 1),
        b: e('k2', 2_000, 5),
        c: e('k1', 9_000, 2),
        W: watermark(9_999),
        d: e('k1', 12_000, 7),
        V: watermark(45_000),
      });
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total() }))).toBe('3ms (xy) 7ms z 9ms |', {
        x: res('k1', 0, 10_000, 3, 2),
        y: res('k2', 0, 10_000, 5, 1),
        z: res('k1', 10_000, 20_000, 7, 1),
      });
    });
  });

  it('a watermark one below the end does not close the window; out-of-order events before it count', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('abWcV|', {
        a: e('k', 9_500, 1),
        b: e('k', 12_000, 2),
        W: watermark(9_998),
        c: e('k', 9_999, 4),
        V: watermark(9_999),
      });
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total() }))).toBe('----x(y|)', {
        x: res('k', 0, 10_000, 5, 2),
        y: res('k', 10_000, 20_000, 2, 1),
      });
    });
  });

  it('a late event within the lateness emits an update with a higher version; later ones go to the late output', () => {
    const ts = scheduler();
    const late = new LateOutput<V>();
    ts.run(({ cold, expectObservable }) => {
      const c = e('k', 6_000, 4);
      const src = cold<StreamElement<V>>('aWbVc|', {
        a: e('k', 1_000, 1),
        W: watermark(9_999),
        b: e('k', 5_000, 2),
        V: watermark(15_000),
        c,
      });
      const out = src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total(), allowedLatenessMs: 5_000, late }));
      expectObservable(out).toBe('-xy--|', {
        x: res('k', 0, 10_000, 1, 1),
        y: res('k', 0, 10_000, 3, 2, 'update'),
      });
      expectObservable(late.events$).toBe('----l', { l: { element: c, watermark: 15_000 } });
    });
    expect(late.count).toBe(1);
  });

  it('emits early results of changed windows every earlyEveryMs, then the final one', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('a-b 9ms c 7ms W', {
        a: e('k', 1_000, 1),
        b: e('k', 2_000, 2),
        c: e('k', 3_000, 4),
        W: watermark(9_999),
      });
      const out = src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total(), earlyEveryMs: 5, scheduler: ts }));
      expectObservable(out, '^ 30ms !').toBe('5ms e 9ms g 4ms f', {
        e: res('k', 0, 10_000, 3, 2, 'early'),
        g: res('k', 0, 10_000, 7, 3, 'early'),
        f: res('k', 0, 10_000, 7, 3, 'final'),
      });
    });
  });

  it('emits open windows as final when the source completes, unless flushOnComplete is false', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = { a: e('k1', 1_000, 1), b: e('k2', 15_000, 2) };
      const src = cold<StreamElement<V>>('ab|', values);
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total() }))).toBe('--(xy|)', {
        x: res('k1', 0, 10_000, 1, 1),
        y: res('k2', 10_000, 20_000, 2, 1),
      });
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total(), flushOnComplete: false }))).toBe('--|');
      expectObservable(cold<StreamElement<V>>('|').pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: total() }))).toBe('|');
    });
  });

  it('propagates an upstream error and frees its state', () => {
    const ts = scheduler();
    const agg = tracked(total());
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('a#', { a: e('k', 1_000, 1) });
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10_000, key, aggregate: agg }))).toBe('-#');
    });
    expect(agg.live).toBe(0);
  });

  it('a throwing key function errors the stream and unsubscribes the source', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<StreamElement<V>>('ab-c', { a: e('k', 1, 1), b: e('bad', 2, 2), c: e('k', 3, 3) });
      const failing = (x: V): string => {
        if (x.k === 'bad') throw new Error('bad key');
        return x.k;
      };
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10, key: failing, aggregate: total() }))).toBe(
        '-#',
        undefined,
        new Error('bad key'),
      );
      expectSubscriptions(src.subscriptions).toBe('^!');
    });
  });

  it('a throwing aggregator errors the stream', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const aggregate = {
        ...total(),
        add: (): number => {
          throw new Error('bad value');
        },
      };
      const src = cold<StreamElement<V>>('a', { a: e('k', 1, 1) });
      expectObservable(src.pipe(tumblingWindow({ sizeMs: 10, key, aggregate }))).toBe('#', undefined, new Error('bad value'));
    });
  });

  it('frees a window when the watermark passes end + lateness, and everything on unsubscribe', () => {
    const sched = boundedScheduler();
    const agg = tracked(total());
    const input = new Subject<StreamElement<V>>();
    const out: WindowResult<string, number>[] = [];
    const sub = input
      .pipe(tumblingWindow({ sizeMs: 1_000, key, aggregate: agg, allowedLatenessMs: 2_000, earlyEveryMs: 100, scheduler: sched }))
      .subscribe((r) => out.push(r));
    for (let i = 0; i < 50; i++) input.next(e(`k${i % 5}`, i * 100, 1));
    expect(agg.live).toBe(25); // 5 keys × 5 windows
    input.next(watermark(2_998)); // windows 0–1 final, still within their lateness
    expect(out.filter((r) => r.kind === 'final')).toHaveLength(10);
    expect(agg.live).toBe(25);
    input.next(watermark(2_999)); // window 2 final; window [0, 1000) expires (999 + 2000 ≤ 2999)
    expect(out.filter((r) => r.kind === 'final')).toHaveLength(15);
    expect(agg.live).toBe(20);
    expect(sched.actions.length).toBe(1);
    sub.unsubscribe();
    expect(agg.live).toBe(0);
    expect(sched.actions.length).toBe(0);
    expect(input.observed).toBe(false);
  });

  it('fails on an event time that is not a finite number', () => {
    let error: unknown;
    from<StreamElement<V>[]>([watermark(5), e('k', Number.NaN, 1)])
      .pipe(tumblingWindow({ sizeMs: 10, key, aggregate: total() }))
      .subscribe({ error: (err: unknown) => (error = err) });
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_EVENT_TIME');
  });

  it('ignores a watermark that goes backwards', () => {
    const out: WindowResult<string, number>[] = [];
    from<StreamElement<V>[]>([e('k', 5, 1), watermark(20), watermark(3), e('k', 25, 2), watermark(29)])
      .pipe(tumblingWindow({ sizeMs: 10, key, aggregate: total(), flushOnComplete: false }))
      .subscribe((r) => out.push(r));
    expect(out).toEqual([res('k', 0, 10, 1, 1), res('k', 20, 30, 2, 1)]);
  });

  it('rejects bad options', () => {
    expect(() => tumblingWindow({ sizeMs: 0, key, aggregate: total() })).toThrow(/sizeMs/);
    expect(() => tumblingWindow({ sizeMs: 10, key, aggregate: total(), allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/);
    expect(() => tumblingWindow({ sizeMs: 10, key: 'k' as unknown as (v: V) => string, aggregate: total() })).toThrow(/key/);
  });
});
