import type { StateWindowOptions } from '../timelines/state-partition.js';
import { partitionPipeline, type PipelineFactory } from '../partition-pipeline.js';
import { ExtensionPartition, type ExtensionOutput } from './pipeline.js';
import type { ExtensionWindowRow } from './rows.js';

/** Where stored extension figures go next. */
export interface ExtensionHooks {
  onRows?(rows: ExtensionWindowRow[]): void;
}

/**
 * The extension pipeline as a {@link PipelineFactory} for the worker: one {@link ExtensionPartition}
 * per assigned partition; each batch's changed rows are upserted before the commit.
 * @example pipelines: { extension: extensionPipeline({ outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 }) }
 */
export function extensionPipeline(opts: StateWindowOptions, hooks: ExtensionHooks = {}): PipelineFactory {
  return partitionPipeline<'extension', ExtensionWindowRow, ExtensionOutput>({
    source: 'extension',
    create: (resume) => new ExtensionPartition(opts, resume),
    write: (store, rows) => store.upsertExtensionWindows(rows),
    afterStore: (out) => {
      if (out.rows.length > 0) hooks.onRows?.(out.rows);
    },
  });
}
