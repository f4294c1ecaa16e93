import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../core/errors.js';
import { boundedScheduler, marbleScheduler } from './test-support.js';
import { event, watermark, type StreamElement } from './types.js';
import { withWatermarks } from './watermarks.js';

const scheduler = marbleScheduler;

describe('withWatermarks', () => {
  it('emits max event time − bound − 1 after the event that advances it; out-of-order events do not', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: event('a', 10_000), b: event('b', 12_000), c: event('c', 11_000), d: event('d', 15_000) };
      const src = cold<StreamElement<string>>('a 9ms b 9ms c 9ms d 9ms |', values);
      const out = src.pipe(withWatermarks({ maxOutOfOrdernessMs: 1_000, scheduler: ts }));
      expectObservable(out).toBe('(aW) 6ms (bX) 6ms c 9ms (dY) 6ms |', {
        ...values,
        W: watermark(8_999),
        X: watermark(10_999),
        Y: watermark(13_999),
      });
      expectSubscriptions(src.subscriptions).toBe('^ 39ms !');
    });
  });

  it('merges partitions as the minimum; expected partitions hold it back before their first event', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = {
        a: event(1, 10_000, 'p0'),
        b: event(2, 5_000, 'p1'),
        c: event(3, 20_000, 'p1'),
        d: event(4, 30_000, 'p0'),
      };
      const src = cold<StreamElement<number>>('a 9ms b 9ms c 9ms d 9ms |', values);
      const out = src.pipe(withWatermarks({ maxOutOfOrdernessMs: 1_000, partitions: ['p0', 'p1'], scheduler: ts }));
      expectObservable(out).toBe('a 9ms (bW) 6ms (cX) 6ms (dY) 6ms |', {
        ...values,
        W: watermark(3_999),
        X: watermark(8_999),
        Y: watermark(18_999),
      });
    });
  });

  it('without expected partitions, an unseen partition does not hold the watermark', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = { a: event(1, 10_000, 'p0'), b: event(2, 5_000, 'p1') };
      const src = cold<StreamElement<number>>('a 9ms b|', values);
      expectObservable(src.pipe(withWatermarks({ maxOutOfOrdernessMs: 1_000, scheduler: ts }))).toBe('(aW) 6ms b|', {
        ...values,
        W: watermark(8_999),
      });
    });
  });

  it('an idle partition stops holding the others back, and holds again once it delivers', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = {
        a: event(1, 10_000, 'p0'),
        b: event(2, 11_000, 'p0'),
        c: event(3, 12_000, 'p1'),
        d: event(4, 30_000, 'p0'),
        e: event(5, 13_000, 'p1'),
      };
      // p1 is expected but silent: after 50 ms (scheduler time) it is idle and p0 alone drives the watermark.
      const src = cold<StreamElement<number>>('a 29ms b 39ms c 9ms d 9ms e 9ms |', values);
      const out = src.pipe(withWatermarks({ maxOutOfOrdernessMs: 1_000, idleTimeoutMs: 50, partitions: ['p0', 'p1'], scheduler: ts }));
      expectObservable(out).toBe('a 29ms b 19ms W 19ms c 9ms (dX) 6ms (eY) 6ms |', {
        ...values,
        W: watermark(9_999), // at 50 ms: p1 idle, p0 alone at 11 000 − 1 001
        X: watermark(10_999), // p1 active again (12 000) holds p0 (30 000) back
        Y: watermark(11_999),
      });
    });
  });

  it('when every partition is idle, releases the highest partition watermark (even below minStepMs)', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = { a: event(1, 10_000, 'p0'), b: event(2, 20_000, 'p1'), c: event(3, 20_500, 'p0') };
      const src = cold<StreamElement<number>>('a 9ms b 9ms c 99ms |', values);
      const out = src.pipe(
        withWatermarks({ maxOutOfOrdernessMs: 1_000, idleTimeoutMs: 30, minStepMs: 1_000, partitions: ['p0', 'p1'], scheduler: ts }),
      );
      // a@0: p1 unseen (expected) → none. b@10 → min(8 999, 18 999) = 8 999. c@20 → min(19 499, 18 999) = 18 999.
      // p0 idle at 50, p1 idle at 40: all idle → max = 19 499, released although only 500 ms above the last.
      expectObservable(out).toBe('a 9ms (bW) 6ms (cX) 26ms Y 69ms |', {
        ...values,
        W: watermark(8_999),
        X: watermark(18_999),
        Y: watermark(19_499),
      });
    });
  });

  it('with minStepMs, emits only steps of at least that size and the pending advance on completion', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = { a: event(1, 10_000), b: event(2, 10_400), c: event(3, 11_200), d: event(4, 11_500) };
      const src = cold<StreamElement<number>>('a 9ms b 9ms c 9ms d 9ms |', values);
      const out = src.pipe(withWatermarks({ maxOutOfOrdernessMs: 1_000, minStepMs: 1_000, scheduler: ts }));
      expectObservable(out).toBe('(aW) 6ms b 9ms (cX) 6ms d 9ms (Y|)', {
        ...values,
        W: watermark(8_999),
        X: watermark(10_199),
        Y: watermark(10_499),
      });
    });
  });

  it('treats upstream watermarks as a floor (a source asserting progress)', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = { a: event(1, 10_000), u: watermark(50_000), b: event(2, 60_000) };
      const src = cold<StreamElement<number>>('a 9ms u 9ms b 9ms |', values);
      expectObservable(src.pipe(withWatermarks({ maxOutOfOrdernessMs: 1_000, scheduler: ts }))).toBe('(aW) 6ms U 9ms (bX) 6ms |', {
        ...values,
        W: watermark(8_999),
        U: watermark(50_000),
        X: watermark(58_999),
      });
    });
  });

  it('passes an empty stream through and propagates errors', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<StreamElement<number>>('|').pipe(withWatermarks({ scheduler: ts }))).toBe('|');
      expectObservable(cold<StreamElement<number>>('---').pipe(withWatermarks({ scheduler: ts }))).toBe('---');
      const values = { a: event(1, 10_000) };
      const src = cold<StreamElement<number>>('a 9ms #', values, new Error('boom'));
      expectObservable(src.pipe(withWatermarks({ maxOutOfOrdernessMs: 0, scheduler: ts }))).toBe(
        '(aW) 6ms #',
        { ...values, W: watermark(9_999) },
        new Error('boom'),
      );
    });
  });

  it('unsubscribing cancels the idle timer', () => {
    const sched = boundedScheduler();
    const input = new Subject<StreamElement<number>>();
    const seen: StreamElement<number>[] = [];
    const sub = input.pipe(withWatermarks({ idleTimeoutMs: 100, scheduler: sched })).subscribe((e) => seen.push(e));
    input.next(event(1, 10_000, 'p0'));
    expect(sched.actions.length).toBe(1);
    sub.unsubscribe();
    expect(sched.actions.length).toBe(0);
    expect(input.observed).toBe(false);
    sched.flush();
    expect(seen).toEqual([event(1, 10_000, 'p0'), watermark(4_999)]);
  });

  it('rejects bad options at construction, naming the field', () => {
    const attempt = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = attempt(() => withWatermarks({ maxOutOfOrdernessMs: -1 }));
    expect(isSluiceError(e1) && e1.code).toBe('SLUICE_ERR_OPERATOR_OPTION');
    expect((e1 as Error).message).toMatch(/maxOutOfOrdernessMs must be/);
    expect(() => withWatermarks({ idleTimeoutMs: 0 })).toThrow(/idleTimeoutMs/);
    expect(() => withWatermarks({ minStepMs: Number.NaN })).toThrow(/minStepMs/);
  });
});
