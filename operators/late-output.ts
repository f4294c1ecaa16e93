import { Subject, type Observable } from 'rxjs';
import type { EventElement } from './types.js';

/** An event that arrived after its windows' allowed lateness had expired. */
export interface LateEvent<T> {
  readonly element: EventElement<T>;
  /** The operator's watermark when it arrived, epoch ms. */
  readonly watermark: number;
}

/**
 * The late side output of a window operator: events too late to change any
 * window are counted here and offered on {@link LateOutput.events$} instead of
 * being dropped silently.
 *
 * Create one, pass it as the `late` option, subscribe to `events$` (hot: only
 * events arriving while subscribed are seen) and read `count` for metrics.
 * One instance may be shared by several operators; counts add up.
 *
 * @example
 * const late = new LateOutput<Reading>();
 * late.events$.subscribe((e) => deadLetter.write(e.element));
 * source$.pipe(tumblingWindow({ sizeMs: 60_000, key, aggregate, late }));
 */
export class LateOutput<T> {
  readonly #subject = new Subject<LateEvent<T>>();
  #count = 0;

  /** Late events as they are diverted. Never completes. */
  readonly events$: Observable<LateEvent<T>> = this.#subject.asObservable();

  /** Total late events diverted so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Diverts one event (called by the operators). Allocates nothing when nobody
   * subscribes to `events$`.
   * @param watermark the operator's watermark, epoch ms
   */
  push(element: EventElement<T>, watermark: number): void {
    this.#count++;
    if (this.#subject.observed) this.#subject.next({ element, watermark });
  }
}
