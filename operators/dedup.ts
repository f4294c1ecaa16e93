import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { checkFunction, checkNumber } from './errors.js';
import type { StateProbe } from './state-probe.js';
import type { EventElement, StreamElement } from './types.js';

/** Options of {@link dedupById}. */
export interface DedupOptions<T> {
  /** The identity of an event; two events with the same id are duplicates. */
  readonly id: (value: T) => string | number;
  /** At most this many ids are remembered (count); the oldest remembered is forgotten first. */
  readonly maxIds: number;
  /**
   * Ids of events older than the newest event time seen minus this (event-time
   * ms) are forgotten. A duplicate arriving after its original was forgotten
   * passes: downstream writes must stay idempotent.
   */
  readonly horizonMs: number;
  /** Called for each dropped duplicate (e.g. to count it). */
  readonly onDuplicate?: (element: EventElement<T>) => void;
  /** Receives a reader of the number of ids remembered (see {@link StateProbe}). */
  readonly stateProbe?: StateProbe;
}

/**
 * Drops events whose id was already seen within a bounded horizon — bounded
 * both in number of ids and in event time, so memory stays flat. Ids are kept
 * in arrival order in a ring (forgetting is O(1), no `Map` iteration over
 * deleted slots). Watermarks pass through.
 */
export function dedupById<T>(options: DedupOptions<T>): MonoTypeOperatorFunction<StreamElement<T>> {
  checkFunction('id', options.id);
  const capacity = checkNumber('maxIds', options.maxIds, { int: true, min: 1 });
  const horizon = checkNumber('horizonMs', options.horizonMs, { min: 0 });
  const idOf = options.id;
  const onDuplicate = options.onDuplicate;
  return (source) =>
    new Observable<StreamElement<T>>((subscriber) => {
      const seen = new Set<string | number>();
      const ids: (string | number)[] = [];
      const times: number[] = [];
      let head = 0;
      let size = 0;
      let newest = -Infinity;

      const forgetOldest = (): void => {
        seen.delete(ids[head] as string | number);
        head = head + 1 === capacity ? 0 : head + 1;
        size--;
      };

      const sub = source.subscribe({
        next: (el) => {
          if (el.kind !== 'event') {
            subscriber.next(el);
            return;
          }
          let id: string | number;
          try {
            id = idOf(el.value);
            if (seen.has(id)) {
              onDuplicate?.(el);
              return;
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (el.ts > newest) newest = el.ts;
          const cutoff = newest - horizon;
          while (size > 0 && (times[head] as number) < cutoff) forgetOldest();
          if (size === capacity) forgetOldest();
          const slot = (head + size) % capacity;
          if (slot === ids.length) {
            ids.push(id);
            times.push(el.ts);
          } else {
            ids[slot] = id;
            times[slot] = el.ts;
          }
          size++;
          seen.add(id);
          subscriber.next(el);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      const unprobe = options.stateProbe?.(() => seen.size);
      return () => {
        unprobe?.();
        sub.unsubscribe();
        seen.clear();
        ids.length = 0;
        times.length = 0;
      };
    });
}
