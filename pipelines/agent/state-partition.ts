import { Subject, type Subscription } from 'rxjs';
import { dedupById, event, LateOutput, stateTotal, watermark, type StreamElement } from '../../operators/index.js';
import type { Delta } from './figures.js';
import { StateTimelines, type TimelineSpec } from './timelines.js';
import { WindowTable, type Emitted } from './window-table.js';

/** Options of a state pipeline (agents, extensions). Times in ms. */
export interface StateWindowOptions {
  /** Watermark = max event time − this (default in the app: 5 000). */
  outOfOrdernessMs: number;
  /** A late change still corrects windows ending up to this long before the watermark. */
  allowedLatenessMs: number;
  /** Interval window length, minutes: 15 or 30 (1-minute windows are always kept). */
  intervalMinutes: 15 | 30;
  /** An open state with no new change for this long goes stale (default 12 h); must exceed allowedLatenessMs + 60 000. */
  maxOpenStateMs?: number;
  /** Event ids remembered for dedup (per partition). */
  dedupMaxIds?: number;
  /** Early rows of changed windows at most this often, ms of processing time (0 = every batch). */
  earlyEveryMs?: number;
}

/** How a pipeline reads its events. */
export interface StateSource<E, S extends string> {
  readonly spec: TimelineSpec<S>;
  /** Window key: tenant and entity, separated by `\u0000`. */
  key(e: E): string;
  id(e: E): string;
  /** Event time, epoch ms. */
  ts(e: E): number;
  change(e: E): { state: S; reason?: string };
}

/** Figures of one entity over one window (1 minute or one interval), as stored. */
export interface StateWindow<S extends string> {
  readonly tenant: string;
  readonly entity: string;
  /** Epoch ms, aligned to the window size. */
  readonly windowStart: number;
  /** 60, 900 or 1800. */
  readonly windowSec: number;
  /**
   * Grows with every change to the window: the operators' `2 × count + final` while the window can
   * change, then, once the watermark passes its end + allowed lateness, a *seal*:
   * {@link SEAL_VERSION} − the first offset this partition instance read. A restart replays from the
   * commit position, later than where the crashed instance started, so what it rebuilds of windows
   * already sealed (from partial history) never outranks the stored seal, while the windows still open
   * at the crash, which it rebuilds whole, get a seal that outranks everything stored before.
   */
  readonly version: number;
  /** True once the watermark passed the window end (later rows are late corrections). */
  readonly final: boolean;
  /**
   * The window's sums, indexed like the spec's states: the window's own arrays, not a copy. Read them at
   * once: the next batch changes them. (Rows are made from them straight away, with their own records.)
   */
  readonly delta: Readonly<Delta>;
}

/** What one batch produced. */
export interface StateOutput<S extends string> {
  /** Changed windows, the newest version of each (early, final and corrected). */
  windows: StateWindow<S>[];
  duplicates: number;
  late: number;
}

const MINUTE = 60_000;
/** Base of sealed versions, 2^52: above every operator version, exact as a JS number and in UInt64. */
export const SEAL_VERSION = 2 ** 52;
/** Default {@link StateWindowOptions.maxOpenStateMs}: 12 hours. */
export const DEFAULT_MAX_OPEN_STATE_MS = 12 * 3_600_000;

function checkOptions(o: StateWindowOptions): void {
  if (o.intervalMinutes !== 15 && o.intervalMinutes !== 30) throw new RangeError(`intervalMinutes must be 15 or 30, got ${String(o.intervalMinutes)}`);
  if (!(Number.isInteger(o.outOfOrdernessMs) && o.outOfOrdernessMs >= 0)) throw new RangeError(`outOfOrdernessMs must be a whole number of ms ≥ 0, got ${o.outOfOrdernessMs}`);
}

/**
 * The state pipeline of one source partition: dedup by id → per-entity timelines (see timelines.ts)
 * → corrections summed by two tumbling windows, 1 minute and one interval (window-table.ts: the
 * operators' window rules, specialised because these windows outnumber the events). Runs
 * synchronously inside a batch. Like the skill-group pipeline, the watermark moves per event in minute
 * steps, so where a batch is cut changes nothing: a replay of the same offsets makes the same rows and
 * versions. Once a window is past its lateness its last row is emitted once more as a seal (see
 * {@link StateWindow.version}).
 */
export class StatePartition<E, S extends string> {
  readonly #input = new Subject<StreamElement<{ event: E; offset: number }>>();
  readonly #timelines: StateTimelines<S>;
  readonly #sub: Subscription;
  readonly #late = new LateOutput<{ event: E; offset: number }>();
  readonly #minutes: WindowTable;
  readonly #intervals: WindowTable;
  readonly #o: StateWindowOptions;
  readonly #src: StateSource<E, S>;
  /** Windows emitted in the current batch, each once. */
  #emitted: Emitted = [];
  /** First offset this instance read (seals are versioned by it). */
  #start: number | undefined;
  #maxTs = Number.NEGATIVE_INFINITY;
  #watermark = Number.NEGATIVE_INFINITY;
  #duplicates = 0;
  #lastEarly = Number.NEGATIVE_INFINITY;
  readonly #state = stateTotal();

  constructor(source: StateSource<E, S>, opts: StateWindowOptions) {
    checkOptions(opts);
    this.#o = opts;
    this.#src = source;
    this.#timelines = new StateTimelines(source.spec, {
      windowMs: MINUTE,
      allowedLatenessMs: opts.allowedLatenessMs,
      maxOpenStateMs: opts.maxOpenStateMs ?? DEFAULT_MAX_OPEN_STATE_MS,
      retainWindowMs: opts.intervalMinutes * MINUTE,
    });
    const n = source.spec.states.length;
    const minutes = (this.#minutes = new WindowTable(MINUTE, opts.allowedLatenessMs, n));
    const intervals = (this.#intervals = new WindowTable(opts.intervalMinutes * MINUTE, opts.allowedLatenessMs, n));
    const push = (c: { key: string; windowStart: number; delta: Delta }) => {
      minutes.add(c.key, c.windowStart, c.delta, this.#emitted);
      intervals.add(c.key, c.windowStart, c.delta, this.#emitted);
    };
    this.#sub = this.#input
      .pipe(dedupById({ id: (i) => source.id(i.event), maxIds: opts.dedupMaxIds ?? 1_000_000, horizonMs: MINUTE + opts.allowedLatenessMs, onDuplicate: () => this.#duplicates++, stateProbe: this.#state.probe }))
      .subscribe((el) => {
        if (el.kind === 'watermark') {
          this.#timelines.advance(el.ts, push);
          const seal = SEAL_VERSION - (this.#start ?? 0);
          minutes.advance(el.ts, seal, this.#emitted);
          intervals.advance(el.ts, seal, this.#emitted);
          return;
        }
        const { event: e, offset } = el.value;
        const { state, reason } = source.change(e);
        const ts = source.ts(e);
        const ok = this.#timelines.change(source.key(e), reason === undefined ? { ts, state, offset } : { ts, state, reason, offset }, push);
        if (!ok) this.#late.push(el, this.#watermark);
      });
  }

  /** Current watermark, epoch ms. */
  get watermark(): number {
    return this.#watermark;
  }

  /** Entities (agents, extensions) held in memory. */
  get entities(): number {
    return this.#timelines.size;
  }

  /** State held in memory: remembered event ids, entity timelines, and windows (summing, or fired and awaiting their seal). */
  get stateSize(): number {
    return this.#state.read() + this.#timelines.size + this.#minutes.slots + this.#intervals.slots;
  }

  /**
   * Feeds one batch of a partition's events (in offset order). `now` is processing time (epoch ms),
   * used only to pace early rows.
   */
  process(items: readonly { event: E; offset: number }[], now: number): StateOutput<S> {
    const dup0 = this.#duplicates;
    const late0 = this.#lateCount();
    for (const item of items) {
      this.#start ??= item.offset;
      const ts = this.#src.ts(item.event);
      this.#input.next(event(item, ts));
      if (ts > this.#maxTs) {
        this.#maxTs = ts;
        // Minute steps, per event (the last ms of each minute): batch cuts change nothing.
        const wm = Math.floor((ts - this.#o.outOfOrdernessMs + 1) / MINUTE) * MINUTE - 1;
        if (wm > this.#watermark) {
          this.#watermark = wm;
          this.#input.next(watermark(wm));
        }
      }
    }
    if (now - this.#lastEarly >= (this.#o.earlyEveryMs ?? 0)) {
      this.#lastEarly = now;
      // Early rows for minutes only: an interval row appears when it closes (its figures so far are the
      // sum of its minute rows), which halves the rows written per batch.
      this.#minutes.early(this.#emitted);
    }
    return { windows: this.#take(), duplicates: this.#duplicates - dup0, late: this.#lateCount() - late0 };
  }

  /** Offset to commit once everything before `next` is stored: the oldest change an open window needs. */
  commitPosition(next: number): number {
    return Math.min(next, this.#timelines.minOffset());
  }

  /** Stops the operators and frees their state. */
  close(): void {
    this.#sub.unsubscribe();
    this.#minutes.clear();
    this.#intervals.clear();
  }

  #lateCount(): number {
    return this.#late.count + this.#minutes.late + this.#intervals.late;
  }

  /** The batch's rows: each emitted window once, at its newest version, with its figures now. */
  #take(): StateWindow<S>[] {
    const slots = this.#emitted;
    this.#emitted = [];
    return slots.map((slot) => {
      const row: StateWindow<S> = { tenant: slot.tenant, entity: slot.entity, windowStart: slot.start, windowSec: slot.sizeMs / 1000, version: slot.version, final: slot.final, delta: slot.delta };
      slot.version = -1;
      return row;
    });
  }
}


