import { Subject, type Subscription } from 'rxjs';
import { dedupById, event, type StreamElement } from '../../operators/index.js';
import type { IntervalEvent } from '../events/types.js';
import { ownEvents, type BatchResult, type PartitionPipeline, type PipelineFactory } from '../partition.js';
import { toIntervalRow, type IntervalReportRow } from './rows.js';

/** Options of an {@link IntervalPartition}. */
export interface IntervalPipelineOptions {
  /** Event ids remembered for dedup (per partition); default 100 000. */
  dedupMaxIds?: number;
  /** How long (event-time ms) ids are remembered; default 24 h. */
  dedupHorizonMs?: number;
}

/** What one batch of interval reports produced. */
export interface IntervalOutput extends BatchResult {
  /** One row per (tenant, scope, key, interval), the newest report of each. */
  rows: IntervalReportRow[];
  duplicates: number;
}

const rowKey = (r: IntervalReportRow) => `${r.tenant}\u0000${r.scope}\u0000${r.key}\u0000${r.intervalStart}\u0000${r.intervalSec}`;

/**
 * Vendor interval reports of one source partition, stored as received. No windows: every report is
 * final when it arrives, so each batch's offsets can be committed as soon as its rows are stored.
 * Duplicates (same event id) are dropped; a resent report of the same interval replaces the earlier
 * one in the store (newest event time wins).
 */
export class IntervalPartition implements PartitionPipeline<IntervalEvent> {
  /** Holds no window state. */
  readonly stateSize = 0;
  readonly #input = new Subject<StreamElement<IntervalEvent>>();
  readonly #sub: Subscription;
  #rows = new Map<string, IntervalReportRow>();
  #duplicates = 0;

  constructor(opts: IntervalPipelineOptions = {}) {
    this.#sub = this.#input
      .pipe(
        dedupById<IntervalEvent>({
          id: (e) => e.id,
          maxIds: opts.dedupMaxIds ?? 100_000,
          horizonMs: opts.dedupHorizonMs ?? 86_400_000,
          onDuplicate: () => this.#duplicates++,
        }),
      )
      .subscribe((el) => {
        if (el.kind !== 'event') return;
        const row = toIntervalRow(el.value);
        const k = rowKey(row);
        const old = this.#rows.get(k);
        if (!old || row.version >= old.version) this.#rows.set(k, row);
      });
  }

  /** Feeds one batch (offset order). */
  process(items: readonly { event: IntervalEvent; offset: number }[]): IntervalOutput {
    const dup0 = this.#duplicates;
    for (const { event: e } of ownEvents('interval', items)) this.#input.next(event(e, e.ts));
    const rows = [...this.#rows.values()];
    this.#rows = new Map();
    return {
      rows,
      duplicates: this.#duplicates - dup0,
      late: 0,
      // Idempotent: a resent report replaces the stored one (newest event time wins).
      store: async (store) => {
        if (rows.length > 0) await store.upsertIntervalReports(rows);
      },
      afterStore: () => {},
    };
  }

  /** Every report is final when stored: the batch's offsets are committed as they are. */
  commitPosition(next: number): number {
    return next;
  }

  /** Nothing to pass on. */
  commitMetadata(): undefined {
    return undefined;
  }

  /** Stops the operators and frees their state. */
  close(): void {
    this.#sub.unsubscribe();
  }
}

/**
 * The vendor interval-report pipeline for the worker: reports are stored as received, and a batch's
 * offsets are committed as soon as they are (no window state).
 * @example pipelines: { interval: intervalPipeline() }
 */
export function intervalPipeline(opts: IntervalPipelineOptions = {}): PipelineFactory<IntervalEvent> {
  return () => new IntervalPartition(opts);
}
