/**
 * The windows of the state pipelines: keyed, tumbling, event-time windows that sum timeline
 * corrections, with the same rules as `tumblingWindow` in operators/ (a window fires `final` when the
 * watermark passes its end; a correction within the allowed lateness updates a fired window at once;
 * early rows of changed windows on request; versions `2 × count + final`; freed when the watermark
 * passes end − 1 + allowed lateness) — plus *quiet* windows: those a previous reader of the partition
 * had already finished (see state-partition.ts) are summed, for nothing, but never emitted.
 *
 * Why not the generic operator: agents and extensions make a window per entity per minute while they
 * are staffed, more windows than events (bench/pipeline/RESULTS.md). Through the operator every
 * correction travelled two RxJS chains, and every emission made a result, figures records and a row,
 * even when a later emission of the same batch replaced it. Here a correction is added to its slot in
 * place, and a batch ends with one reference per changed window: its figures are read once, when the
 * batch's rows are made (see {@link WindowTable.take}).
 */
import { addDelta, emptyDelta, type Delta } from './figures.js';

/** One key's window: its running sum, and what the current batch emitted of it. */
export class WindowSlot {
  readonly delta: Delta;
  /** Corrections added. */
  count = 0;
  /** Changed since the last early emission. */
  dirty = false;
  /** Version of this batch's newest emission (−1: not emitted in this batch). */
  version = -1;
  final = false;
  readonly tenant: string;
  readonly entity: string;

  constructor(
    /** Tenant and entity, separated by `\u0000`. */
    readonly key: string,
    /** Epoch ms, aligned to the window size. */
    readonly start: number,
    /** Window length, ms. */
    readonly sizeMs: number,
    states: number,
  ) {
    this.delta = emptyDelta(states);
    const i = key.indexOf('\u0000');
    this.tenant = key.slice(0, i);
    this.entity = key.slice(i + 1);
  }
}

/** Where a table's emissions of a batch are gathered (shared by the minute and the interval table). */
export type Emitted = WindowSlot[];

/**
 * Tumbling windows of one size over corrections `(key, windowStart, delta)`. Emitting marks the slot
 * with its version and puts it once on the batch's list: within a batch only the newest version of a
 * window matters, and its figures are the slot's figures at the end of the batch (every change after a
 * window fired is itself emitted, so nothing of a later state is shown under an earlier version).
 */
export class WindowTable {
  /** Slots by pane index (window start / size), then key. */
  readonly #panes = new Map<number, Map<string, WindowSlot>>();
  /** Open pane indices, ascending. */
  readonly #order: number[] = [];
  readonly #size: number;
  readonly #lateness: number;
  readonly #states: number;
  /** Panes below this index have fired. */
  #fired = Number.NEGATIVE_INFINITY;
  #watermark = Number.NEGATIVE_INFINITY;
  #slots = 0;
  #cacheIndex = Number.NaN;
  #cachePane: Map<string, WindowSlot> | undefined;
  /** Corrections refused: their window was already past its lateness. */
  late = 0;
  /** Windows whose end − 1 + lateness is at or below this watermark are never emitted. */
  readonly #quietThrough: number;

  constructor(sizeMs: number, allowedLatenessMs: number, states: number, quietThrough = Number.NEGATIVE_INFINITY) {
    this.#size = sizeMs;
    this.#lateness = allowedLatenessMs;
    this.#states = states;
    this.#quietThrough = quietThrough;
  }

  /** Windows held (each sums its corrections until it is past its lateness). */
  get slots(): number {
    return this.#slots;
  }

  /** Adds a correction to the window containing `ts`; a fired window is emitted again at once (an update). */
  add(key: string, ts: number, delta: Delta, out: Emitted): void {
    const index = Math.floor(ts / this.#size);
    if (index < this.#fired && this.#watermark >= this.#sealAt(index)) {
      this.late++;
      return;
    }
    let pane = index === this.#cacheIndex ? this.#cachePane : this.#panes.get(index);
    if (pane === undefined) pane = this.#open(index);
    this.#cacheIndex = index;
    this.#cachePane = pane;
    let slot = pane.get(key);
    if (slot === undefined) {
      pane.set(key, (slot = new WindowSlot(key, index * this.#size, this.#size, this.#states)));
      this.#slots++;
    }
    addDelta(slot.delta, delta);
    slot.count++;
    slot.dirty = true;
    if (index < this.#fired) this.#emit(index, slot, 2 * slot.count + 1, true, out);
  }

  /**
   * Moves the watermark (epoch ms): every window ending at or before `watermark + 1` fires (each key,
   * `final`); every window whose end − 1 + lateness it reached is freed (nothing can change it now).
   */
  advance(watermark: number, out: Emitted): void {
    if (!(watermark > this.#watermark)) return;
    this.#watermark = watermark;
    const emax = Math.floor((watermark + 1) / this.#size);
    for (const index of this.#order) {
      if (index >= emax) break;
      if (index < this.#fired) continue;
      for (const slot of (this.#panes.get(index) as Map<string, WindowSlot>).values())
        this.#emit(index, slot, 2 * slot.count + 1, true, out);
    }
    if (emax > this.#fired) this.#fired = emax;
    while (this.#order.length > 0 && this.#sealAt(this.#order[0] as number) <= watermark) {
      const index = this.#order.shift() as number;
      const pane = this.#panes.get(index) as Map<string, WindowSlot>;
      this.#slots -= pane.size;
      this.#panes.delete(index);
      if (index === this.#cacheIndex) this.#cachePane = undefined;
      this.#cacheIndex = Number.NaN;
    }
  }

  /** Emits `early` rows of the windows not yet fired that changed since the last call. */
  early(out: Emitted): void {
    for (const index of this.#order) {
      const pane = this.#panes.get(index) as Map<string, WindowSlot>;
      for (const slot of pane.values()) {
        if (slot.dirty && index >= this.#fired) this.#emit(index, slot, 2 * slot.count, false, out);
        slot.dirty = false;
      }
    }
  }

  /** Frees every window. */
  clear(): void {
    this.#panes.clear();
    this.#order.length = 0;
    this.#slots = 0;
    this.#cachePane = undefined;
    this.#cacheIndex = Number.NaN;
  }

  /** Emits the window of pane `index`, unless it is quiet. */
  #emit(index: number, slot: WindowSlot, version: number, final: boolean, out: Emitted): void {
    if (this.#sealAt(index) > this.#quietThrough) emit(slot, version, final, out);
  }

  /** The watermark at which the window of pane `index` is past its lateness (as the operators reckon it). */
  #sealAt(index: number): number {
    return (index + 1) * this.#size - 1 + this.#lateness;
  }

  #open(index: number): Map<string, WindowSlot> {
    const pane = new Map<string, WindowSlot>();
    this.#panes.set(index, pane);
    const order = this.#order;
    let i = order.length;
    while (i > 0 && (order[i - 1] as number) > index) i--;
    order.splice(i, 0, index);
    return pane;
  }
}

/** Marks `slot` emitted with `version`, listing it once per batch. */
function emit(slot: WindowSlot, version: number, final: boolean, out: Emitted): void {
  if (slot.version < 0) out.push(slot);
  slot.version = version;
  slot.final = final;
}
