import { Subject, type Subscription } from 'rxjs';
import { dedupById, event, LateOutput, stateTotal, watermark, type StreamElement } from '../../operators/index.js';
import type { Source, TelemetryEvent } from '../events/types.js';
import { ownEvents, type BatchResult, type PartitionPipeline } from '../partition.js';
import type { TelemetryWriter } from '../store/types.js';
import type { StateWindow } from './state-window.js';
import { StateTimelines, type Correction, type TimelineSpec } from './timelines.js';
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

/** How a pipeline reads its events, and makes and stores its rows. */
export interface StateSource<E, S extends string, R> {
  /** The source whose events it reads (a batch's events of other sources are left out). */
  readonly source: Source;
  readonly spec: TimelineSpec<S>;
  /** Window key: tenant and entity, separated by `\u0000`. */
  key(e: E): string;
  id(e: E): string;
  /** Event time, epoch ms. */
  ts(e: E): number;
  change(e: E): { state: S; reason?: string };
  /** The stored row of a window (made at once: the window's figures change with the next batch). */
  toRow(w: StateWindow<S>): R;
  /** Writes a batch's rows (called only when there are some), idempotently. */
  write(store: TelemetryWriter, rows: R[]): Promise<void>;
}

/** Where stored rows go next (real-time state, push). */
export interface StateHooks<R> {
  onRows?(rows: R[]): void;
}

/** What one batch produced. */
export interface StateBatch<R> extends BatchResult {
  /** Rows of the changed windows, the newest version of each (early, final and corrected). */
  rows: R[];
}

const MINUTE = 60_000;
/** Versions are `epoch × EPOCH + operator version`: 2^21, so 2^32 restarts stay exact as JS numbers. */
export const EPOCH = 2 ** 21;

/**
 * What a partition's reader commits beside its offset (as JSON metadata) for the next reader: its epoch,
 * and its watermark then. Every window that watermark had put past its lateness is finished and stored
 * (the commit follows the insert of the batch's rows); every other window can be rebuilt whole from the
 * committed offset (see timelines.ts). So the next reader keeps the finished windows quiet and versions
 * its rows in the next epoch.
 */
export interface ResumePoint {
  readonly epoch: number;
  /** Epoch ms; −Infinity before any event. */
  readonly watermark: number;
}

/** Reads a {@link ResumePoint} committed by {@link StatePartition.commitMetadata}; anything else (none, another program's) is no resume point. */
export function parseResumePoint(text: string | undefined): ResumePoint | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as { state?: unknown; epoch?: unknown; watermark?: unknown };
    if (v.state !== 1 || !Number.isSafeInteger(v.epoch) || (v.epoch as number) < 0) return undefined;
    const watermark = v.watermark === null ? Number.NEGATIVE_INFINITY : v.watermark;
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) return undefined;
    return { epoch: v.epoch as number, watermark };
  } catch {
    return undefined;
  }
}

/** Default {@link StateWindowOptions.maxOpenStateMs}: 12 hours. */
export const DEFAULT_MAX_OPEN_STATE_MS = 12 * 3_600_000;

function checkOptions(o: StateWindowOptions): void {
  if (o.intervalMinutes !== 15 && o.intervalMinutes !== 30)
    throw new RangeError(`intervalMinutes must be 15 or 30, got ${String(o.intervalMinutes)}`);
  if (!(Number.isInteger(o.outOfOrdernessMs) && o.outOfOrdernessMs >= 0))
    throw new RangeError(`outOfOrdernessMs must be a whole number of ms ≥ 0, got ${o.outOfOrdernessMs}`);
}

/**
 * The state pipeline of one source partition: dedup by id → per-entity timelines (see timelines.ts)
 * → corrections summed by two tumbling windows, 1 minute and one interval (window-table.ts: the
 * operators' window rules, specialised because these windows outnumber the events). Runs
 * synchronously inside a batch. Like the skill-group pipeline, the watermark moves per event in minute
 * steps, so where a batch is cut changes nothing: a replay of the same offsets makes the same rows and
 * versions. A restart resumes from what the previous reader committed ({@link ResumePoint}, see
 * {@link StateWindow.version}).
 */
export class StatePartition<E extends TelemetryEvent, S extends string, R> implements PartitionPipeline<E> {
  readonly #input = new Subject<StreamElement<{ event: E; offset: number }>>();
  readonly #timelines: StateTimelines<S>;
  readonly #sub: Subscription;
  readonly #late = new LateOutput<{ event: E; offset: number }>();
  readonly #minutes: WindowTable;
  readonly #intervals: WindowTable;
  readonly #o: StateWindowOptions;
  readonly #src: StateSource<E, S, R>;
  readonly #hooks: StateHooks<R>;
  /** Windows emitted in the current batch, each once. */
  #emitted: Emitted = [];
  /** This reader's epoch: one more than its predecessor's. */
  readonly #epoch: number;
  #maxTs = Number.NEGATIVE_INFINITY;
  #watermark = Number.NEGATIVE_INFINITY;
  #duplicates = 0;
  #lastEarly = Number.NEGATIVE_INFINITY;
  readonly #state = stateTotal();

  /** `resume`: what the partition's previous reader committed ({@link commitMetadata}), if anything. */
  constructor(source: StateSource<E, S, R>, opts: StateWindowOptions, resume?: string, hooks: StateHooks<R> = {}) {
    checkOptions(opts);
    this.#hooks = hooks;
    const from = parseResumePoint(resume);
    this.#epoch = (from?.epoch ?? 0) + 1;
    const quiet = from?.watermark ?? Number.NEGATIVE_INFINITY;
    this.#o = opts;
    this.#src = source;
    this.#timelines = new StateTimelines(source.spec, {
      windowMs: MINUTE,
      allowedLatenessMs: opts.allowedLatenessMs,
      maxOpenStateMs: opts.maxOpenStateMs ?? DEFAULT_MAX_OPEN_STATE_MS,
      retainWindowMs: opts.intervalMinutes * MINUTE,
    });
    const n = source.spec.states.length;
    const minutes = (this.#minutes = new WindowTable(MINUTE, opts.allowedLatenessMs, n, quiet));
    const intervals = (this.#intervals = new WindowTable(opts.intervalMinutes * MINUTE, opts.allowedLatenessMs, n, quiet));
    const push = (c: Correction) => {
      minutes.add(c.key, c.windowStart, c.delta, this.#emitted);
      intervals.add(c.key, c.windowStart, c.delta, this.#emitted);
    };
    this.#sub = this.#input
      .pipe(
        dedupById({
          id: (i) => source.id(i.event),
          maxIds: opts.dedupMaxIds ?? 1_000_000,
          horizonMs: MINUTE + opts.allowedLatenessMs,
          onDuplicate: () => this.#duplicates++,
          stateProbe: this.#state.probe,
        }),
      )
      .subscribe((el) => {
        if (el.kind === 'watermark') {
          this.#timelines.advance(el.ts, push);
          minutes.advance(el.ts, this.#emitted);
          intervals.advance(el.ts, this.#emitted);
          return;
        }
        const { event: e, offset } = el.value;
        const { state, reason } = source.change(e);
        const ts = source.ts(e);
        const ok = this.#timelines.change(
          source.key(e),
          reason === undefined ? { ts, state, offset } : { ts, state, reason, offset },
          push,
        );
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

  /** State held in memory: remembered event ids, entity timelines, and windows (until past their lateness). */
  get stateSize(): number {
    return this.#state.read() + this.#timelines.size + this.#minutes.slots + this.#intervals.slots;
  }

  /**
   * Feeds one batch of a partition's events (in offset order). `now` is processing time (epoch ms),
   * used only to pace early rows.
   */
  process(items: readonly { event: E; offset: number }[], now: number): StateBatch<R> {
    const dup0 = this.#duplicates;
    const late0 = this.#lateCount();
    for (const item of ownEvents(this.#src.source, items) as typeof items) {
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
    const rows = this.#take().map((w) => this.#src.toRow(w));
    const src = this.#src;
    const hooks = this.#hooks;
    return {
      rows,
      duplicates: this.#duplicates - dup0,
      late: this.#lateCount() - late0,
      store: async (store) => {
        if (rows.length > 0) await src.write(store, rows);
      },
      afterStore: () => {
        if (rows.length > 0) hooks.onRows?.(rows);
      },
    };
  }

  /** Offset to commit once everything before `next` is stored: the oldest change an open window needs. */
  commitPosition(next: number): number {
    return Math.min(next, this.#timelines.minOffset());
  }

  /** The {@link ResumePoint} to commit beside {@link commitPosition}, as JSON. */
  commitMetadata(): string {
    return JSON.stringify({ state: 1, epoch: this.#epoch, watermark: Number.isFinite(this.#watermark) ? this.#watermark : null });
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
      const version = this.#epoch * EPOCH + Math.min(slot.version, EPOCH - 1);
      const row: StateWindow<S> = {
        tenant: slot.tenant,
        entity: slot.entity,
        windowStart: slot.start,
        windowSec: slot.sizeMs / 1000,
        version,
        final: slot.final,
        delta: slot.delta,
      };
      slot.version = -1;
      return row;
    });
  }
}
