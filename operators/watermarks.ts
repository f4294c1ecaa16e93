import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { checkNumber, checkRule } from './errors.js';
import { watermark, type EventElement, type StreamElement } from './types.js';

/** Options of {@link withWatermarks}. */
export interface WatermarkOptions {
  /**
   * How far behind the newest event of its partition an event may arrive and
   * still count as on time, ms. Watermark = max event time − this − 1. Default 5 000.
   */
  readonly maxOutOfOrdernessMs?: number;
  /**
   * A partition that delivered nothing for this long (scheduler time, ms) stops
   * holding the merged watermark back until it delivers again. Default: never idle.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Partitions expected from the start: they hold the watermark back before
   * their first event (until idle), so an early partition cannot race ahead.
   */
  readonly partitions?: readonly string[];
  /**
   * Emit a watermark only when it advanced at least this much since the last
   * one, event-time ms. Default 1 (every advance). Larger steps mean fewer
   * signal elements; the pending advance is still emitted when every partition
   * goes idle and when the source completes.
   */
  readonly minStepMs?: number;
  /** Clock for idle detection. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

class PartitionState {
  wm = -Infinity;
  idle = false;
  constructor(public lastActive: number) {}
}

/**
 * Adds watermarks to a stream of events using bounded out-of-orderness, per
 * partition (`EventElement.partition`), merged as the minimum over partitions
 * that are not idle (when all are idle, the maximum, as Flink does). Events
 * pass through unchanged and before the watermark they cause. Watermarks arriving
 * from upstream are a source's own assertion of progress: the output never
 * falls below them. Merge sources *before* this operator, tagging `partition`.
 *
 * @example
 * kafka$.pipe(withWatermarks({ maxOutOfOrdernessMs: 5_000, idleTimeoutMs: 30_000 }), tumblingWindow(...))
 */
export function withWatermarks<T>(options: WatermarkOptions = {}): MonoTypeOperatorFunction<StreamElement<T>> {
  const bound = checkNumber('maxOutOfOrdernessMs', options.maxOutOfOrdernessMs ?? 5_000, { min: 0 });
  const idleTimeout = options.idleTimeoutMs === undefined ? Infinity : checkNumber('idleTimeoutMs', options.idleTimeoutMs, { min: 1 });
  const minStep = checkNumber('minStepMs', options.minStepMs ?? 1, { min: 0 });
  const scheduler = options.scheduler ?? asyncScheduler;
  const expected = [...(options.partitions ?? [])];
  for (const name of expected) checkRule(typeof name === 'string', 'partitions[]', 'a string', name);
  const tracksIdle = idleTimeout !== Infinity;

  return (source) =>
    new Observable<StreamElement<T>>((subscriber) => {
      const parts = new Map<string, PartitionState>();
      let lastName: string | undefined;
      let lastPart: PartitionState | undefined;
      let computed = -Infinity; // min over active partitions (not monotonic)
      let emitted = -Infinity; // last watermark emitted (monotonic)
      let floor = -Infinity; // highest upstream watermark
      let timer: Subscription | undefined;

      const compute = (): number => {
        let min = Infinity;
        let maxAll = -Infinity;
        let active = false;
        for (const p of parts.values()) {
          if (p.wm > maxAll) maxAll = p.wm;
          if (!p.idle) {
            active = true;
            if (p.wm < min) min = p.wm;
          }
        }
        computed = active ? min : maxAll;
        return computed;
      };

      const publish = (force: boolean): void => {
        const w = Math.max(computed, floor);
        if (w > emitted && (force || w - emitted >= minStep)) {
          emitted = w;
          subscriber.next(watermark(w));
        }
      };

      const checkIdle = function (this: SchedulerAction<undefined>): void {
        const now = scheduler.now();
        let next = Infinity;
        let changed = false;
        for (const p of parts.values()) {
          if (p.idle) continue;
          if (now - p.lastActive >= idleTimeout) {
            p.idle = true;
            changed = true;
          } else if (p.lastActive + idleTimeout < next) next = p.lastActive + idleTimeout;
        }
        if (changed) {
          compute();
          publish(next === Infinity);
        }
        if (next === Infinity) timer = undefined;
        else this.schedule(undefined, next - now);
      };

      const arm = (): void => {
        if (tracksIdle && timer === undefined) timer = scheduler.schedule(checkIdle, idleTimeout);
      };

      for (const name of expected) parts.set(name, new PartitionState(scheduler.now()));
      if (expected.length > 0) arm();

      const onEvent = (el: EventElement<T>): void => {
        const name = el.partition ?? '';
        let p = name === lastName ? lastPart : parts.get(name);
        let recompute = false;
        if (p === undefined) {
          p = new PartitionState(tracksIdle ? scheduler.now() : 0);
          parts.set(name, p);
          recompute = true;
          arm();
        } else if (tracksIdle) {
          p.lastActive = scheduler.now();
          if (p.idle) {
            p.idle = false;
            recompute = true;
            arm();
          }
        }
        lastName = name;
        lastPart = p;
        const w = el.ts - bound - 1;
        if (w > p.wm) {
          if (p.wm <= computed) recompute = true;
          p.wm = w;
        }
        subscriber.next(el);
        if (recompute) {
          compute();
          publish(false);
        }
      };

      const sub = source.subscribe({
        next: (el) => {
          if (el.kind === 'event') onEvent(el);
          else if (el.ts > floor) {
            floor = el.ts;
            publish(true);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          publish(true);
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
        timer = undefined;
        parts.clear();
        lastPart = undefined;
      };
    });
}
