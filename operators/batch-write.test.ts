import fc from 'fast-check';
import { EMPTY, finalize, map, NEVER, Observable, type SchedulerAction, Subject, throwError, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { batch } from './batch.js';
import { batchWrite, type WrittenBatch } from './batch-write.js';
import { isSluiceError } from '../core/errors.js';
import { boundedScheduler, marbleScheduler } from './test-support.js';

const scheduler = marbleScheduler;
const written = <T>(items: T[], seq: number, result: number = items.length): WrittenBatch<T, number> => ({ items, seq, result });

describe('batchWrite', () => {
  it('writes batches one at a time, in order, emits each after its acknowledgement, completes after the last', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const sink = (items: readonly string[]) => timer(10, ts).pipe(map(() => items.length));
      expectObservable(cold('abcde|').pipe(batchWrite(sink, { maxItems: 2 }))).toBe('11ms x 9ms y 9ms (z|)', {
        x: written(['a', 'b'], 0),
        y: written(['c', 'd'], 1),
        z: written(['e'], 2),
      });
    });
  });

  it('signals pause when the sink falls behind and resume when it catches up', () => {
    const ts = scheduler();
    const signals: [number, boolean, number][] = [];
    ts.run(({ cold, expectObservable }) => {
      const sink = (items: readonly string[]) => timer(10, ts).pipe(map(() => items.length));
      const out = cold('abcdef|').pipe(
        batchWrite(sink, {
          maxItems: 2,
          maxBufferedItems: 6,
          pauseAtItems: 4,
          resumeAtItems: 2,
          onPressure: (paused, held) => signals.push([ts.now(), paused, held]),
        }),
      );
      expectObservable(out).toBe('11ms x 9ms y 9ms (z|)', { x: written(['a', 'b'], 0), y: written(['c', 'd'], 1), z: written(['e', 'f'], 2) });
    });
    expect(signals).toEqual([
      [3, true, 4],
      [21, false, 2],
    ]);
  });

  it('at the buffer limit fails with a retriable error by default', () => {
    const ts = scheduler();
    let error: unknown;
    ts.run(({ cold }) => {
      cold('abcd').pipe(batchWrite(() => NEVER, { maxItems: 2, maxBufferedItems: 3, pauseAtItems: 2, resumeAtItems: 0 })).subscribe({ error: (e: unknown) => (error = e) });
    });
    expect(isSluiceError(error) && [error.code, error.retriable]).toEqual(['SLUICE_ERR_BUFFER_LIMIT', true]);
  });

  it("at the buffer limit with onFull: 'drop', drops and reports the item", () => {
    const ts = scheduler();
    const dropped: string[] = [];
    ts.run(({ cold, expectObservable }) => {
      const sink = (items: readonly string[]) => timer(10, ts).pipe(map(() => items.length));
      const out = cold('abcd|').pipe(batchWrite(sink, { maxItems: 2, maxBufferedItems: 3, onFull: 'drop', onDrop: (x) => dropped.push(x) }));
      expectObservable(out).toBe('11ms x 9ms (y|)', { x: written(['a', 'b'], 0), y: written(['c'], 1) });
    });
    expect(dropped).toEqual(['d']);
  });

  it('fails when the sink errors, throws, or completes without acknowledging', () => {
    const ts = scheduler();
    let noAck: unknown;
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab').pipe(batchWrite(() => throwError(() => new Error('insert failed')), { maxItems: 2 }))).toBe('-#', undefined, new Error('insert failed'));
      const throwing = (): Observable<number> => {
        throw new Error('sync');
      };
      expectObservable(cold('a').pipe(batchWrite(throwing, { maxItems: 1 }))).toBe('#', undefined, new Error('sync'));
      expectObservable(cold('a#').pipe(batchWrite(() => NEVER, { maxItems: 5 }))).toBe('-#');
      cold('a').pipe(batchWrite(() => EMPTY, { maxItems: 1 })).subscribe({ error: (e: unknown) => (noAck = e) });
      const onPressure = (): void => {
        throw new Error('cannot pause');
      };
      expectObservable(cold('ab').pipe(batchWrite(() => NEVER, { maxItems: 1, maxBufferedItems: 4, pauseAtItems: 2, onPressure }))).toBe('-#', undefined, new Error('cannot pause'));
    });
    expect(isSluiceError(noAck) && noAck.code).toBe('SLUICE_ERR_SINK_NO_ACK');
  });

  it('unsubscribing cancels the write in flight, the batch timer and the source', () => {
    const sched = boundedScheduler();
    const input = new Subject<number>();
    let cancelled = 0;
    const sink = () => NEVER.pipe(finalize(() => cancelled++));
    const sub = input.pipe(batchWrite(sink, { maxItems: 2, maxWaitMs: 100, scheduler: sched })).subscribe();
    input.next(1);
    input.next(2); // in flight
    input.next(3); // open batch with a timer
    expect(sched.actions.length).toBe(1);
    sub.unsubscribe();
    expect(cancelled).toBe(1);
    expect(sched.actions.length).toBe(0);
    expect(input.observed).toBe(false);
  });

  it('a producer that honours the signal never outruns the sink, and nothing is lost or reordered', () => {
    const sched = boundedScheduler(1_000_000);
    const total = 1_000;
    let paused = false;
    let pauses = 0;
    let produced = 0;
    let acked = 0;
    let worst = 0;
    const producer = new Observable<number>((sub) =>
      sched.schedule(function (this: SchedulerAction<undefined>) {
        if (produced === total) return sub.complete();
        if (!paused) sub.next(produced++);
        worst = Math.max(worst, produced - acked);
        this.schedule(undefined, 1);
      }, 1),
    );
    const sink = (items: readonly number[]) => timer(10, sched).pipe(map(() => items.length));
    const out: number[] = [];
    producer
      .pipe(
        batchWrite(sink, {
          maxItems: 5,
          maxBufferedItems: 20,
          pauseAtItems: 10,
          resumeAtItems: 5,
          onPressure: (p) => {
            paused = p;
            if (p) pauses++;
          },
        }),
      )
      .subscribe((b) => {
        acked += b.items.length;
        out.push(...b.items);
      });
    sched.flush();
    expect(out).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(pauses).toBeGreaterThan(10);
    expect(worst).toBeLessThanOrEqual(10);
  });

  it('batches depend only on the items and flush points, never on how slow the sink is', () => {
    const step = fc.oneof(fc.integer({ min: 0, max: 9 }).map((n) => ({ item: n })), fc.constant({ flush: true as const }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1 }), fc.integer({ min: 1, max: 7 }), (steps, delays, maxItems) => {
        const run = (write: boolean): number[][] => {
          const sched = boundedScheduler(1_000_000);
          const items = new Subject<number>();
          const flush$ = new Subject<void>();
          const batches: number[][] = [];
          const cutBefore = (next: number, prev: number) => next === 0 && prev !== 0;
          const options = { maxItems, cutBefore, flush$, maxBufferedItems: 1_000 };
          if (write) {
            const sink = (b: readonly number[], seq: number) => timer(delays[seq % delays.length] as number, sched).pipe(map(() => b.length));
            items.pipe(batchWrite(sink, options)).subscribe((b) => batches.push([...b.items]));
          } else items.pipe(batch(options)).subscribe((b) => batches.push(b));
          for (const s of steps) {
            if ('flush' in s) flush$.next();
            else items.next(s.item);
            sched.flush();
          }
          items.complete();
          sched.flush();
          return batches;
        };
        const reference = run(false);
        expect(run(true)).toEqual(reference);
        expect(reference.flat()).toEqual(steps.flatMap((s) => ('item' in s ? [s.item] : [])));
        for (const b of reference) expect(b.length).toBeLessThanOrEqual(maxItems);
      }),
    );
  });

  it('rejects inconsistent limits', () => {
    const sink = () => NEVER;
    expect(() => batchWrite(sink, { maxItems: 10, maxBufferedItems: 5 })).toThrow(/maxBufferedItems/);
    expect(() => batchWrite(sink, { maxItems: 1, maxBufferedItems: 10, pauseAtItems: 4, resumeAtItems: 4 })).toThrow(/resumeAtItems/);
    expect(() => batchWrite(sink, { maxItems: 1, onFull: 'block' as 'drop' })).toThrow(/onFull/);
  });
});
