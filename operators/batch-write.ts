import { asyncScheduler, from, Observable, type ObservableInput, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { Batcher, checkCutOptions, type BatchCutOptions } from './batcher.js';
import { checkFunction, checkNumber, checkRule, operatorError } from './errors.js';

/** Options of {@link batchWrite}. */
export interface BatchWriteOptions<T> extends BatchCutOptions<T> {
  /** Every emission cuts the open batch now ("flush now", e.g. at the end of a source batch). */
  readonly flush$?: ObservableInput<unknown>;
  /**
   * Most items held at once — open batch, queued batches and the batch being
   * written (count). Default 8 × `maxItems`. What happens beyond it: `onFull`.
   */
  readonly maxBufferedItems?: number;
  /** Signal `paused = true` when this many items are held (count). Default ½ `maxBufferedItems`. */
  readonly pauseAtItems?: number;
  /** Signal `paused = false` once at most this many are held again (count). Default ½ `pauseAtItems`. */
  readonly resumeAtItems?: number;
  /**
   * When an item arrives while `maxBufferedItems` are held: `'error'` (default)
   * fails the stream with a retriable `SLUICE_ERR_BUFFER_LIMIT` — nothing is
   * lost silently, the consumer restarts from its last commit; `'drop'` drops
   * the item and reports it to `onDrop`.
   */
  readonly onFull?: 'error' | 'drop';
  /** Backpressure signal for the producer (e.g. pause/resume a consumer). */
  readonly onPressure?: (paused: boolean, bufferedItems: number) => void;
  /** Each item dropped under `onFull: 'drop'`. */
  readonly onDrop?: (item: T) => void;
  /** Clock for `maxWaitMs`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** A batch the sink acknowledged. */
export interface WrittenBatch<T, R> {
  readonly items: readonly T[];
  /** Batch number in this subscription, from 0. */
  readonly seq: number;
  /** The sink's acknowledgement (its first emitted value). */
  readonly result: R;
}

/**
 * Cuts items into batches (see {@link BatchCutOptions}) and writes them through
 * `sink`, one batch at a time and in order; emits each batch after the sink
 * acknowledged it (its first value, e.g. a resolved promise), which is when
 * the offsets it covers may be committed. When the sink is slower than the
 * source, held items grow; at `pauseAtItems` the producer is told to pause via
 * `onPressure(true)` and at `resumeAtItems` to resume — the buffer never grows
 * past `maxBufferedItems` (see `onFull`). On completion the open batch is
 * written and the operator completes after the last acknowledgement. A sink
 * error fails the stream (retrying is the sink's business).
 *
 * @example
 * rows$.pipe(batchWrite((rows) => table.insert(rows), {
 *   maxItems: 5_000, cutBefore: (next, prev) => next.partition !== prev.partition,
 *   onPressure: (paused) => (paused ? consumer.pause() : consumer.resume()),
 * }))
 */
export function batchWrite<T, R>(
  sink: (items: readonly T[], seq: number) => ObservableInput<R>,
  options: BatchWriteOptions<T>,
): OperatorFunction<T, WrittenBatch<T, R>> {
  checkFunction('sink', sink);
  checkCutOptions(options);
  const maxBuffered = checkNumber('maxBufferedItems', options.maxBufferedItems ?? 8 * options.maxItems, { int: true, min: options.maxItems });
  const pauseAt = checkNumber('pauseAtItems', options.pauseAtItems ?? Math.max(1, Math.floor(maxBuffered / 2)), { int: true, min: 1 });
  checkRule(pauseAt <= maxBuffered, 'pauseAtItems', `≤ maxBufferedItems (${maxBuffered})`, pauseAt);
  const resumeAt = checkNumber('resumeAtItems', options.resumeAtItems ?? Math.floor(pauseAt / 2), { int: true, min: 0 });
  checkRule(resumeAt < pauseAt, 'resumeAtItems', `< pauseAtItems (${pauseAt})`, resumeAt);
  const onFull = options.onFull ?? 'error';
  checkRule(onFull === 'error' || onFull === 'drop', 'onFull', "'error' or 'drop'", onFull);
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<WrittenBatch<T, R>>((subscriber) => {
      const queue: { items: T[]; seq: number }[] = [];
      let held = 0;
      let paused = false;
      let nextSeq = 0;
      let writing = false;
      let sourceDone = false;
      let closed = false;
      let inFlight: Subscription | undefined;

      const fail = (err: unknown): void => {
        if (closed) return;
        closed = true;
        subscriber.error(err);
      };

      const signal = (): void => {
        try {
          if (!paused && held >= pauseAt) {
            paused = true;
            options.onPressure?.(true, held);
          } else if (paused && held <= resumeAt) {
            paused = false;
            options.onPressure?.(false, held);
          }
        } catch (err) {
          fail(err);
        }
      };

      const pump = (): void => {
        if (writing || closed) return;
        const next = queue.shift();
        if (next === undefined) {
          if (sourceDone) subscriber.complete();
          return;
        }
        writing = true;
        let acked = false;
        const ack = (result: R): void => {
          if (acked || closed) return;
          acked = true;
          inFlight?.unsubscribe();
          inFlight = undefined;
          writing = false;
          held -= next.items.length;
          subscriber.next({ items: next.items, seq: next.seq, result });
          signal();
          pump();
        };
        let sub: Subscription;
        try {
          sub = from(sink(next.items, next.seq)).subscribe({
            next: ack,
            error: fail,
            complete: () => {
              if (!acked) fail(operatorError('SLUICE_ERR_SINK_NO_ACK', `sink completed without acknowledging batch ${next.seq}`));
            },
          });
        } catch (err) {
          fail(err);
          return;
        }
        if (acked || closed) sub.unsubscribe();
        else inFlight = sub;
      };

      const batcher = new Batcher<T>(options, scheduler, (items) => {
        queue.push({ items, seq: nextSeq++ });
        pump();
      });

      const flushSub =
        options.flush$ === undefined ? undefined : from(options.flush$).subscribe({ next: () => batcher.cut(), error: fail });

      const sub = source.subscribe({
        next: (item) => {
          if (closed) return;
          try {
            if (held >= maxBuffered) {
              if (onFull === 'drop') options.onDrop?.(item);
              else fail(operatorError('SLUICE_ERR_BUFFER_LIMIT', `batch buffer full: ${held} items held (maxBufferedItems)`));
              return;
            }
            held++;
            batcher.push(item);
          } catch (err) {
            fail(err);
            return;
          }
          signal();
        },
        error: fail,
        complete: () => {
          sourceDone = true;
          batcher.cut();
          if (!writing && queue.length === 0 && !closed) subscriber.complete();
        },
      });

      return () => {
        closed = true;
        sub.unsubscribe();
        flushSub?.unsubscribe();
        inFlight?.unsubscribe();
        inFlight = undefined;
        batcher.clear();
        queue.length = 0;
      };
    });
}
