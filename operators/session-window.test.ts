import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LateOutput } from './late-output.js';
import { sessionWindow } from './session-window.js';
import { boundedScheduler, byKey, keyedEvent, type KeyedValue, marbleScheduler, res, sumOfV, tracked } from './test-support.js';
import { event, watermark, type StreamElement } from './types.js';

type V = KeyedValue;
const e = keyedEvent;
const key = byKey;
const total = sumOfV;
const scheduler = marbleScheduler;

describe('sessionWindow', () => {
  it('closes a key’s session after gapMs of event time without events, when the watermark passes its end', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('abcdW 9ms |', {
        a: e('k1', 0, 1),
        b: e('k1', 500, 2),
        c: e('k2', 200, 4),
        d: e('k1', 3_000, 8),
        W: watermark(1_600),
      });
      expectObservable(src.pipe(sessionWindow({ gapMs: 1_000, key, aggregate: total() }))).toBe('4ms (xy) 6ms (z|)', {
        x: res('k2', 200, 1_200, 4, 1),
        y: res('k1', 0, 1_500, 3, 2),
        z: res('k1', 3_000, 4_000, 8, 1),
      });
    });
  });

  it('merges sessions that an out-of-order event bridges', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('abcW|', { a: e('k', 0, 1), b: e('k', 1_800, 2), c: e('k', 900, 4), W: watermark(2_799) });
      expectObservable(src.pipe(sessionWindow({ gapMs: 1_000, key, aggregate: total() }))).toBe('---x|', { x: res('k', 0, 2_800, 7, 3) });
    });
  });

  it('late events within the lateness extend the session and emit updates; later ones go to the late output', () => {
    const ts = scheduler();
    const late = new LateOutput<V>();
    const agg = tracked(total());
    ts.run(({ cold, expectObservable }) => {
      const d = e('k', 1_000, 8);
      const src = cold<StreamElement<V>>('aWbcVXd|', {
        a: e('k', 0, 1),
        W: watermark(2_000),
        b: e('k', 700, 2), // late, still ends before the watermark: immediate update
        c: e('k', 1_500, 4), // late, pushes the end past the watermark: update when it passes again
        V: watermark(3_000),
        X: watermark(10_000), // expires the session (2 499 + 5 000 ≤ 10 000)
        d,
      });
      expectObservable(src.pipe(sessionWindow({ gapMs: 1_000, key, aggregate: agg, allowedLatenessMs: 5_000, late }))).toBe('-xy-z--|', {
        x: res('k', 0, 1_000, 1, 1),
        y: res('k', 0, 1_700, 3, 2, 'update'),
        z: res('k', 0, 2_500, 7, 3, 'update'),
      });
      expectObservable(late.events$).toBe('------l', { l: { element: d, watermark: 10_000 } });
    });
    expect(late.count).toBe(1);
    expect(agg.live).toBe(0);
  });

  it('emits early results of open sessions that changed', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('a 9ms b 9ms W', { a: e('k', 0, 1), b: e('k', 400, 2), W: watermark(1_399) });
      const out = src.pipe(sessionWindow({ gapMs: 1_000, key, aggregate: total(), earlyEveryMs: 5, scheduler: ts }));
      expectObservable(out, '^ 40ms !').toBe('5ms x 4ms y 9ms z', {
        x: res('k', 0, 1_000, 1, 1, 'early'),
        y: res('k', 0, 1_400, 3, 2, 'early'),
        z: res('k', 0, 1_400, 3, 2, 'final'),
      });
    });
  });

  it('propagates errors and completion, and frees state and timers on unsubscribe', () => {
    const ts = scheduler();
    const agg = tracked(total());
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<StreamElement<V>>('|').pipe(sessionWindow({ gapMs: 10, key, aggregate: agg }))).toBe('|');
      expectObservable(cold<StreamElement<V>>('a#', { a: e('k', 1, 1) }).pipe(sessionWindow({ gapMs: 10, key, aggregate: agg }))).toBe('-#');
    });
    expect(agg.live).toBe(0);
    const sched = boundedScheduler();
    const input = new Subject<StreamElement<V>>();
    const sub = input.pipe(sessionWindow({ gapMs: 10, key, aggregate: agg, earlyEveryMs: 3, scheduler: sched })).subscribe();
    input.next(e('a', 1, 1));
    input.next(e('b', 100, 1));
    expect(agg.live).toBe(2);
    sub.unsubscribe();
    expect(agg.live).toBe(0);
    expect(sched.actions.length).toBe(0);
    expect(input.observed).toBe(false);
  });

  it('rejects a non-positive gap', () => {
    expect(() => sessionWindow({ gapMs: 0, key, aggregate: total() })).toThrow(/gapMs/);
  });
});
