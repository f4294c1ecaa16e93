import type { Source, TelemetryEvent } from './events/types.js';
import type { TelemetryStore } from './store/types.js';

/** What one batch of a partition produced. */
export interface BatchResult {
  /** Writes the batch's rows; idempotent, retried by the worker until it succeeds. */
  store(store: TelemetryStore): Promise<void>;
  /** Runs once the rows are stored (real-time state, push). */
  afterStore(): void;
  /** Events past their window's allowed lateness. */
  late: number;
  /** Events dropped as duplicates. */
  duplicates: number;
}

/**
 * One source's aggregation for one source partition. The worker feeds it each batch's valid events in
 * offset order, stores what it returns, then commits {@link PartitionPipeline.commitPosition}: the first
 * offset an open window still needs, so a restart rebuilds every open window.
 */
export interface PartitionPipeline {
  /** `now` is processing time, epoch ms. */
  process(items: { event: TelemetryEvent; offset: number }[], now: number): BatchResult;
  commitPosition(next: number): number;
  /**
   * What to commit beside {@link commitPosition}, for the next reader of the partition (after a restart
   * or a rebalance) to resume from: given to the {@link PipelineFactory}. Undefined: nothing.
   */
  commitMetadata(): string | undefined;
  /** Entries held in memory (remembered ids, accumulators, entity timelines), for the window-state metric. */
  stateSize(): number;
  close(): void;
}

/**
 * Makes the pipeline of a newly assigned partition; `resume` is the metadata committed with the
 * partition's offset by its previous reader, if any.
 */
export type PipelineFactory = (resume?: string) => PartitionPipeline;

/** A batch that produced nothing to store. */
export const NOTHING: BatchResult = Object.freeze({ store: async () => {}, afterStore: () => {}, late: 0, duplicates: 0 });

/** What a source's per-partition aggregation returns for one batch. */
export interface PartitionOutput<R> {
  rows: R[];
  late: number;
  duplicates: number;
}

/** How {@link partitionPipeline} builds, feeds and stores one source's aggregation. */
export interface PartitionSpec<S extends Source, R, O extends PartitionOutput<R>> {
  source: S;
  /** A new per-partition aggregation, resuming from what its previous reader committed. */
  create(resume?: string): {
    process(items: { event: Extract<TelemetryEvent, { source: S }>; offset: number }[], now: number): O;
    commitPosition(next: number): number;
    /** See {@link PartitionPipeline.commitMetadata}; absent when there is nothing to pass on. */
    commitMetadata?(): string | undefined;
    /** Entries held in memory; absent when it holds none worth counting. */
    readonly stateSize?: number;
    close(): void;
  };
  /** Writes a batch's rows (called only when there are some), idempotently: the same rows are stored once however often they are written. */
  write(store: TelemetryStore, rows: R[]): Promise<void>;
  /** Runs once a batch's output is stored (real-time state, push). */
  afterStore?(out: O): void;
}

/**
 * Adapts a source's per-partition aggregation to the worker's {@link PipelineFactory}: keeps the
 * source's events of each batch, stores the changed rows (a retry stores them once: the store takes
 * their content as the insert's token), then hands the output on.
 */
export function partitionPipeline<S extends Source, R, O extends PartitionOutput<R>>(spec: PartitionSpec<S, R, O>): PipelineFactory {
  return (resume) => {
    const p = spec.create(resume);
    return {
      process(items, now) {
        // The worker hands each partition only its topic's source: pass the batch on as it is then.
        type Mine = { event: Extract<TelemetryEvent, { source: S }>; offset: number };
        const mine = (items.every((i) => i.event.source === spec.source) ? items : items.filter((i) => i.event.source === spec.source)) as Mine[];
        const out = p.process(mine, now);
        return {
          store: async (store) => {
            if (out.rows.length > 0) await spec.write(store, out.rows);
          },
          afterStore: () => spec.afterStore?.(out),
          late: out.late,
          duplicates: out.duplicates,
        };
      },
      commitPosition: (next) => p.commitPosition(next),
      commitMetadata: () => p.commitMetadata?.(),
      stateSize: () => p.stateSize ?? 0,
      close: () => p.close(),
    };
  };
}
