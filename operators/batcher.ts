import type { SchedulerLike, Subscription } from 'rxjs';
import { checkFunction, checkNumber } from './errors.js';

/** How batches are cut; shared by {@link batch} and {@link batchWrite}. */
export interface BatchCutOptions<T> {
  /** Cut when a batch holds this many items. Deterministic: depends only on the item sequence. */
  readonly maxItems: number;
  /**
   * Also cut when the oldest item of the open batch has waited this long
   * (scheduler time, ms). Timer cuts depend on arrival speed, so a replay may
   * cut differently; leave unset where batches must be reproducible.
   */
  readonly maxWaitMs?: number;
  /**
   * A caller-defined boundary: cut before `next` when this returns true (e.g.
   * when `next` comes from another partition or another source batch), so a
   * batch never mixes what must stay apart. Deterministic.
   */
  readonly cutBefore?: (next: T, previous: T) => boolean;
}

/** Checks {@link BatchCutOptions} once, at construction. */
export function checkCutOptions<T>(o: BatchCutOptions<T>): void {
  checkNumber('maxItems', o.maxItems, { int: true, min: 1 });
  if (o.maxWaitMs !== undefined) checkNumber('maxWaitMs', o.maxWaitMs, { int: true, min: 1 });
  if (o.cutBefore !== undefined) checkFunction('cutBefore', o.cutBefore);
}

/**
 * The open batch of a batching operator: collects items and hands a batch to
 * `onCut` when it is full, when the caller's boundary says so, when its
 * oldest item has waited `maxWaitMs`, or on {@link Batcher.cut}. Never hands
 * over an empty batch.
 */
export class Batcher<T> {
  #items: T[] = [];
  #timer: Subscription | undefined;

  constructor(
    private readonly options: BatchCutOptions<T>,
    private readonly scheduler: SchedulerLike,
    private readonly onCut: (items: T[]) => void,
  ) {}

  /** Items in the open batch. */
  get length(): number {
    return this.#items.length;
  }

  /** Adds one item (may cut before and/or after it). */
  push(item: T): void {
    const items = this.#items;
    const cutBefore = this.options.cutBefore;
    if (cutBefore !== undefined && items.length > 0 && cutBefore(item, items[items.length - 1] as T)) this.cut();
    this.#items.push(item);
    if (this.#items.length >= this.options.maxItems) this.cut();
    else if (this.#items.length === 1 && this.options.maxWaitMs !== undefined) {
      this.#timer = this.scheduler.schedule(() => {
        this.#timer = undefined;
        this.cut();
      }, this.options.maxWaitMs);
    }
  }

  /** Hands the open batch over now, if it has items ("flush now"). */
  cut(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.onCut(items);
  }

  /** Drops the open batch and its timer. */
  clear(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#items = [];
  }
}
