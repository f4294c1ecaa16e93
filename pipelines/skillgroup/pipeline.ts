import { Subject, VirtualTimeScheduler, share, type Subscription } from 'rxjs';
import {
  dedupById,
  event,
  LateOutput,
  slidingWindow,
  stateTotal,
  tumblingWindow,
  watermark,
  type Aggregator,
  type StreamElement,
  type WindowResult,
} from '../../operators/index.js';
import type { SkillGroupEvent } from '../events/types.js';
import {
  emptySkillGroupSums,
  foldSkillGroupEvent,
  mergeSkillGroupSumsInto,
  type SkillGroupSums,
  type SumThresholds,
} from '../metrics/skillgroup-sums.js';
import { PartitionOffsets } from '../partition-offsets.js';
import { ownEvents, type BatchResult, type PartitionPipeline, type PipelineFactory } from '../partition.js';
import { toMinuteRow, type MinuteRow, type SlidingFigures } from './rows.js';

/** Options of a {@link SkillGroupPartition}. Times in ms. */
export interface SkillGroupPipelineOptions extends SumThresholds {
  /**
   * The tenant's own threshold T, ms, where it differs from `serviceLevelMs` (the tenant's service-level
   * definition, app/service-level.ts); fixed for the pipeline's life, so every window of a tenant shares it.
   */
  serviceLevelMsOf?: (tenant: string) => number;
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
  /** Event ids remembered for dedup (per partition). */
  dedupMaxIds?: number;
  /** Early rows of changed windows at most this often, in ms of processing time (0 = every batch). */
  earlyEveryMs?: number;
}

/** Where stored skill-group figures go next (real-time state, push). */
export interface SkillGroupHooks {
  onRows?(rows: MinuteRow[]): void;
  onSliding?(figures: SlidingFigures[]): void;
}

/** What one batch produced. */
export interface SkillGroupOutput extends BatchResult {
  /** Changed 1-minute rows: early, final and late corrections. */
  minutes: MinuteRow[];
  /** Sliding 5- and 60-minute figures of windows that just closed. */
  sliding: SlidingFigures[];
  duplicates: number;
  late: number;
}

const MINUTE = 60_000;
const SLIDING_SIZES = [5 * MINUTE, 60 * MINUTE];

function sumsAggregator(
  t: SumThresholds,
  serviceLevelMsOf?: (tenant: string) => number,
): Aggregator<SkillGroupEvent, SkillGroupSums, SkillGroupSums> {
  // An accumulator is created without its key; with thresholds per tenant, a fresh one takes its tenant's T
  // from the first event folded in, or from the first sums merged into it (panes of the same key).
  const fresh = new WeakSet<SkillGroupSums>();
  return {
    create: () => {
      const s = emptySkillGroupSums(t);
      if (serviceLevelMsOf) fresh.add(s);
      return s;
    },
    // In place: the operators own their accumulators (see Aggregator). A tumbling window emits its live
    // accumulator, which a late event may change afterwards: what leaves is a copy.
    add: (acc, e) => {
      if (serviceLevelMsOf && fresh.delete(acc)) acc.serviceLevelMs = serviceLevelMsOf(e.tenant);
      return foldSkillGroupEvent(acc, e.body);
    },
    merge: (into, from) => {
      if (fresh.delete(into)) into.serviceLevelMs = from.serviceLevelMs;
      return mergeSkillGroupSumsInto(into, from);
    },
    result: (acc) => ({ ...acc, overflowedByReason: { ...acc.overflowedByReason } }),
  };
}

/**
 * The skill-group pipeline for one source partition, built from the generic operators: dedup by id →
 * (explicit per-partition watermarks) → 1-minute tumbling windows of raw sums, and sliding 5/60-minute
 * figures from 1-minute panes. Runs synchronously inside a batch: {@link process} returns what the
 * batch changed. Watermarks are derived from the batch's event times, so a replay of the same offsets
 * produces the same rows and versions.
 */
export class SkillGroupPartition implements PartitionPipeline<SkillGroupEvent> {
  readonly #input = new Subject<StreamElement<SkillGroupEvent>>();
  readonly #offsets: PartitionOffsets;
  readonly #scheduler = new VirtualTimeScheduler();
  readonly #sub: Subscription;
  readonly #late = new LateOutput<SkillGroupEvent>();
  readonly #o: SkillGroupPipelineOptions;
  readonly #hooks: SkillGroupHooks;
  #minutes: WindowResult<string, SkillGroupSums>[] = [];
  #sliding: WindowResult<string, SkillGroupSums>[] = [];
  #maxTs = Number.NEGATIVE_INFINITY;
  #watermark = Number.NEGATIVE_INFINITY;
  #duplicates = 0;
  #lastEarly = Number.NEGATIVE_INFINITY;
  readonly #state = stateTotal();

  constructor(opts: SkillGroupPipelineOptions, hooks: SkillGroupHooks = {}) {
    this.#o = opts;
    this.#hooks = hooks;
    // Only the stored 1-minute windows must be rebuilt exactly after a restart; the sliding figures are
    // real-time only and refill over the following hour.
    this.#offsets = new PartitionOffsets(MINUTE, opts.allowedLatenessMs);
    const key = (e: SkillGroupEvent) => `${e.tenant}\u0000${e.body.skillGroup}`;
    const aggregate = sumsAggregator(opts, opts.serviceLevelMsOf);
    const deduped = this.#input.pipe(
      dedupById<SkillGroupEvent>({
        id: (e) => e.id,
        maxIds: opts.dedupMaxIds ?? 1_000_000,
        horizonMs: MINUTE + opts.allowedLatenessMs,
        onDuplicate: () => this.#duplicates++,
        stateProbe: this.#state.probe,
      }),
      share(),
    );
    this.#sub = deduped
      .pipe(
        tumblingWindow({
          sizeMs: MINUTE,
          key,
          aggregate,
          allowedLatenessMs: opts.allowedLatenessMs,
          late: this.#late,
          earlyEveryMs: 1,
          scheduler: this.#scheduler,
          flushOnComplete: false,
          stateProbe: this.#state.probe,
        }),
      )
      .subscribe((r) => this.#minutes.push(r));
    this.#sub.add(
      deduped
        .pipe(
          slidingWindow({ paneMs: MINUTE, sizeMs: SLIDING_SIZES, key, aggregate, flushOnComplete: false, stateProbe: this.#state.probe }),
        )
        .subscribe((r) => this.#sliding.push(r)),
    );
  }

  /** State held in memory: event ids remembered for dedup, and window accumulators (one per key per open pane). */
  get stateSize(): number {
    return this.#state.read();
  }

  /** Current watermark, epoch ms. */
  get watermark(): number {
    return this.#watermark;
  }

  /**
   * Feeds one batch of a partition's events (in offset order). `now` is processing time (epoch ms),
   * used only to pace early rows.
   */
  process(items: readonly { event: SkillGroupEvent; offset: number }[], now: number): SkillGroupOutput {
    const dup0 = this.#duplicates;
    const late0 = this.#late.count;
    for (const { event: e, offset } of ownEvents('skillgroup', items)) {
      this.#offsets.note(e.ts, offset);
      this.#input.next(event(e, e.ts));
      if (e.ts > this.#maxTs) {
        this.#maxTs = e.ts;
        // The watermark moves per event, in minute steps (the last ms of each minute: the operators
        // close [start, end) at end − 1): where a batch is cut then changes nothing, so a replay of
        // the same offsets makes the same windows, late events and versions.
        const wm = Math.floor((this.#maxTs - this.#o.outOfOrdernessMs + 1) / MINUTE) * MINUTE - 1;
        if (wm > this.#watermark) {
          this.#watermark = wm;
          this.#input.next(watermark(wm));
        }
      }
    }
    this.#offsets.release(this.#watermark);
    if (now - this.#lastEarly >= (this.#o.earlyEveryMs ?? 0)) {
      // Early rows: let the window operator's early timer fire once, synchronously.
      this.#lastEarly = now;
      this.#scheduler.maxFrames = this.#scheduler.frame + 1;
      this.#scheduler.flush();
    }
    const minutes = this.#minutes.map(toMinuteRow);
    const sliding = this.#sliding.map((r) => ({
      ...keyParts(r.key),
      windowEnd: r.windowEnd,
      sizeMs: r.windowEnd - r.windowStart,
      sums: r.value,
    }));
    this.#minutes = [];
    this.#sliding = [];
    const hooks = this.#hooks;
    return {
      minutes,
      sliding,
      duplicates: this.#duplicates - dup0,
      late: this.#late.count - late0,
      // Idempotent: the store takes the rows' content as the insert's token.
      store: async (store) => {
        if (minutes.length > 0) await store.upsertMinutes(minutes);
      },
      afterStore: () => {
        if (minutes.length > 0) hooks.onRows?.(minutes);
        if (sliding.length > 0) hooks.onSliding?.(sliding);
      },
    };
  }

  /** Offset to commit once everything before `next` is stored. */
  commitPosition(next: number): number {
    return this.#offsets.commitPosition(next);
  }

  /** Nothing to pass on: a restart rebuilds the open minutes from the committed offset. */
  commitMetadata(): undefined {
    return undefined;
  }

  /** Stops the operators and frees their state. */
  close(): void {
    this.#sub.unsubscribe();
  }
}

/** The skill-group pipeline for the worker: one {@link SkillGroupPartition} per assigned partition. */
export function skillGroupPipeline(opts: SkillGroupPipelineOptions, hooks: SkillGroupHooks = {}): PipelineFactory<SkillGroupEvent> {
  return () => new SkillGroupPartition(opts, hooks);
}

/** Splits a window key back into tenant and skill group. */
export function keyParts(key: string): { tenant: string; skillGroup: string } {
  const i = key.indexOf('\u0000');
  return { tenant: key.slice(0, i), skillGroup: key.slice(i + 1) };
}
