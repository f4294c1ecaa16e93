import type { Source, TelemetryEvent } from './events/types.js';
import type { TelemetryWriter } from './store/types.js';

/** What one batch of a partition produced. */
export interface BatchResult {
  /** Writes the batch's rows; idempotent (the store takes their content as the insert's token), retried by the worker until it succeeds. */
  store(store: TelemetryWriter): Promise<void>;
  /** Runs once the rows are stored (real-time state, push). */
  afterStore(): void;
  /** Events past their window's allowed lateness. */
  late: number;
  /** Events dropped as duplicates. */
  duplicates: number;
}

/**
 * One source's aggregation for one source partition, as the worker drives it: the worker feeds it each
 * batch's valid events in offset order, stores what it returns, then commits {@link commitPosition}: the
 * first offset an open window still needs, so a restart rebuilds every open window. Each source's
 * partition class implements it (`SkillGroupPartition`, `AgentPartition`, `ExtensionPartition`,
 * `IntervalPartition`).
 *
 * @typeParam E the events of its source
 */
export interface PartitionPipeline<E extends TelemetryEvent = TelemetryEvent> {
  /** `now` is processing time, epoch ms (it paces early rows only). */
  process(items: readonly { event: E; offset: number }[], now: number): BatchResult;
  commitPosition(next: number): number;
  /**
   * What to commit beside {@link commitPosition}, for the next reader of the partition (after a restart
   * or a rebalance) to resume from: given to the {@link PipelineFactory}. Undefined: nothing.
   */
  commitMetadata(): string | undefined;
  /** Entries held in memory (remembered ids, accumulators, entity timelines), for the window-state metric. */
  readonly stateSize: number;
  close(): void;
}

/**
 * Makes the pipeline of a newly assigned partition; `resume` is the metadata committed with the
 * partition's offset by its previous reader, if any, and `at` the partition (the worker always gives it).
 */
export type PipelineFactory<E extends TelemetryEvent = TelemetryEvent> = (
  resume?: string,
  at?: { readonly topic: string; readonly partition: number },
) => PartitionPipeline<E>;

/** The aggregation of each source, as the worker takes them. */
export type PipelineFactories = { readonly [S in Source]?: PipelineFactory<Extract<TelemetryEvent, { source: S }>> };

/**
 * The items of a batch that are `source`'s events. The worker hands each partition only its topic's
 * source (events of another source are dead-lettered as `wrong-topic`): the batch is passed on as it is then.
 */
export function ownEvents<S extends Source>(
  source: S,
  items: readonly { event: TelemetryEvent; offset: number }[],
): readonly { event: Extract<TelemetryEvent, { source: S }>; offset: number }[] {
  type Mine = { event: Extract<TelemetryEvent, { source: S }>; offset: number };
  return (items.every((i) => i.event.source === source) ? items : items.filter((i) => i.event.source === source)) as readonly Mine[];
}
