import { asyncScheduler, Observable, type ObservableInput, type OperatorFunction, type SchedulerLike, from } from 'rxjs';
import { Batcher, checkCutOptions, type BatchCutOptions } from './batcher.js';

/** Options of {@link batch}. */
export interface BatchOptions<T> extends BatchCutOptions<T> {
  /** Every emission cuts the open batch now ("flush now"). */
  readonly flush$?: ObservableInput<unknown>;
  /** Clock for `maxWaitMs`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Groups items into arrays by size, caller boundary, flush signal or time.
 * Unlike `bufferTime` it never emits an empty array, and without `maxWaitMs`
 * the batches depend only on the item sequence and the flush points, so a
 * replay reproduces them. The open batch is emitted when the source completes.
 * There is no acknowledgement here, hence no backpressure: to write batches to
 * a sink, use {@link batchWrite}.
 */
export function batch<T>(options: BatchOptions<T>): OperatorFunction<T, T[]> {
  checkCutOptions(options);
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<T[]>((subscriber) => {
      const batcher = new Batcher<T>(options, scheduler, (items) => subscriber.next(items));
      const fail = (err: unknown): void => {
        batcher.clear();
        subscriber.error(err);
      };
      const flushSub =
        options.flush$ === undefined ? undefined : from(options.flush$).subscribe({ next: () => batcher.cut(), error: fail });
      const sub = source.subscribe({
        next: (item) => {
          try {
            batcher.push(item);
          } catch (err) {
            fail(err);
          }
        },
        error: fail,
        complete: () => {
          batcher.cut();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        flushSub?.unsubscribe();
        batcher.clear();
      };
    });
}
