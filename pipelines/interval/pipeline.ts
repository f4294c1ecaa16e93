import { Subject, type Subscription } from 'rxjs';
import { dedupById, event, type StreamElement } from '../../operators/index.js';
import type { IntervalEvent } from '../events/types.js';
import { toIntervalRow, type IntervalReportRow } from './rows.js';

/** Options of an {@link IntervalPartition}. */
export interface IntervalPipelineOptions {
  /** Event ids remembered for dedup (per partition); default 100 000. */
  dedupMaxIds?: number;
  /** How long (event-time ms) ids are remembered; default 24 h. */
  dedupHorizonMs?: number;
}

/** What one batch of interval reports produced. */
export interface IntervalOutput {
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
export class IntervalPartition {
  readonly #input = new Subject<StreamElement<IntervalEvent>>();
  readonly #sub: Subscription;
  #rows = new Map<string, IntervalReportRow>();
  #duplicates = 0;

  constructor(opts: IntervalPipelineOptions = {}) {
    this.#sub = this.#input
      .pipe(dedupById<IntervalEvent>({ id: (e) => e.id, maxIds: opts.dedupMaxIds ?? 100_000, horizonMs: opts.dedupHorizonMs ?? 86_400_000, onDuplicate: () => this.#duplicates++ }))
      .subscribe((el) => {
        if (el.kind !== 'event') return;
        const row = toIntervalRow(el.value);
        const k = rowKey(row);
        const old = this.#rows.get(k);
        if (!old || row.version >= old.version) this.#rows.set(k, row);
      });
  }

  /** Feeds one batch (offset order). */
  process(events: readonly IntervalEvent[]): IntervalOutput {
    const dup0 = this.#duplicates;
    for (const e of events) this.#input.next(event(e, e.ts));
    const rows = [...this.#rows.values()];
    this.#rows = new Map();
    return { rows, duplicates: this.#duplicates - dup0 };
  }

  /** Stops the operators and frees their state. */
  close(): void {
    this.#sub.unsubscribe();
  }
}
