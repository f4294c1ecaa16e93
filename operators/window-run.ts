import { asyncScheduler, Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike, type Subscriber } from 'rxjs';
import type { EventElement, StreamElement, WindowResult } from './types.js';

/** The state machine of one subscription to a window operator. */
export interface WindowRun<T> {
  onEvent(element: EventElement<T>): void;
  /** `Infinity` on completion when open windows are flushed. */
  onWatermark(ts: number): void;
  /** Emits early results of changed, incomplete windows. */
  early(): void;
  /** Frees all state; idempotent. */
  close(): void;
}

/** The timing options every window operator shares. */
export interface WindowRunOptions {
  readonly earlyEveryMs?: number;
  readonly flushOnComplete?: boolean;
  readonly scheduler?: SchedulerLike;
}

/**
 * Wires a {@link WindowRun} into an operator: events and watermarks go to the run, the early timer
 * fires on the injected scheduler, a throwing callback or upstream error reaches the subscriber, and
 * completion flushes open windows (unless `flushOnComplete` is false). Unsubscribing frees the timer
 * and all state.
 */
export function windowOperator<T, K, R>(
  options: WindowRunOptions,
  makeRun: (subscriber: Subscriber<WindowResult<K, R>>) => WindowRun<T>,
): OperatorFunction<StreamElement<T>, WindowResult<K, R>> {
  const earlyEvery = options.earlyEveryMs;
  const scheduler = options.scheduler ?? asyncScheduler;
  const flush = options.flushOnComplete ?? true;
  return (source) =>
    new Observable<WindowResult<K, R>>((subscriber) => {
      const run = makeRun(subscriber);
      const fail = (err: unknown): void => {
        run.close();
        subscriber.error(err);
      };
      const timer =
        earlyEvery === undefined
          ? undefined
          : scheduler.schedule(function (this: SchedulerAction<undefined>) {
              try {
                run.early();
              } catch (err) {
                fail(err);
                return;
              }
              this.schedule(undefined, earlyEvery);
            }, earlyEvery);
      const sub = source.subscribe({
        next: (el) => {
          try {
            if (el.kind === 'event') run.onEvent(el);
            else run.onWatermark(el.ts);
          } catch (err) {
            fail(err);
          }
        },
        error: fail,
        complete: () => {
          try {
            if (flush) run.onWatermark(Infinity);
          } catch (err) {
            fail(err);
            return;
          }
          run.close();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
        run.close();
      };
    });
}
