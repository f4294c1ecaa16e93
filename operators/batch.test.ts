import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { batch } from './batch.js';
import { boundedScheduler, marbleScheduler } from './test-support.js';

const scheduler = marbleScheduler;

describe('batch', () => {
  it('cuts by size and emits the remainder on completion', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcde|').pipe(batch({ maxItems: 2 }))).toBe('-x-y-(z|)', { x: ['a', 'b'], y: ['c', 'd'], z: ['e'] });
    });
  });

  it('cuts by time from the first item of a batch, and never emits an empty batch', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a 9ms b-c 19ms |').pipe(batch({ maxItems: 10, maxWaitMs: 5, scheduler: ts }));
      expectObservable(out).toBe('5ms x 9ms y 16ms |', { x: ['a'], y: ['b', 'c'] });
    });
  });

  it('cuts on a caller boundary and on a flush signal, deterministically', () => {
    const ts = scheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      const items = { a: { p: 0, n: 1 }, b: { p: 0, n: 2 }, c: { p: 1, n: 3 }, d: { p: 1, n: 4 }, e: { p: 1, n: 5 } };
      const flush$ = hot('----f--f');
      const out = cold('abcd-e|', items).pipe(batch({ maxItems: 10, cutBefore: (next, prev) => next.p !== prev.p, flush$ }));
      expectObservable(out).toBe('--x-y-(z|)', { x: [items.a, items.b], y: [items.c, items.d], z: [items.e] });
    });
  });

  it('propagates errors and drops the open batch; a throwing boundary errors the stream', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#').pipe(batch({ maxItems: 5 }))).toBe('--#');
      const cut = (): boolean => {
        throw new Error('boundary');
      };
      expectObservable(cold('ab').pipe(batch({ maxItems: 5, cutBefore: cut }))).toBe('-#', undefined, new Error('boundary'));
      expectObservable(cold('|').pipe(batch({ maxItems: 5 }))).toBe('|');
    });
  });

  it('unsubscribing cancels the batch timer and the flush subscription', () => {
    const sched = boundedScheduler();
    const input = new Subject<number>();
    const flush$ = new Subject<void>();
    const sub = input.pipe(batch({ maxItems: 10, maxWaitMs: 50, flush$, scheduler: sched })).subscribe();
    input.next(1);
    expect(sched.actions.length).toBe(1);
    sub.unsubscribe();
    expect(sched.actions.length).toBe(0);
    expect(flush$.observed).toBe(false);
    expect(input.observed).toBe(false);
    expect(() => batch({ maxItems: 0 })).toThrow(/maxItems/);
  });
});
