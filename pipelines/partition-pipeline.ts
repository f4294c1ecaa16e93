import type { TelemetryEvent } from './events/types.js';
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
  close(): void;
}

/** Makes the pipeline of a newly assigned partition. */
export type PipelineFactory = () => PartitionPipeline;

/** A batch that produced nothing to store. */
export const NOTHING: BatchResult = Object.freeze({ store: async () => {}, afterStore: () => {}, late: 0, duplicates: 0 });
