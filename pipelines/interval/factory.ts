import { partitionPipeline, type PartitionOutput, type PipelineFactory } from '../partition-pipeline.js';
import { IntervalPartition, type IntervalPipelineOptions } from './pipeline.js';
import type { IntervalReportRow } from './rows.js';

/**
 * The vendor interval-report pipeline as a {@link PipelineFactory} for the worker: reports are
 * stored as received, and a batch's offsets are committed as soon as they are (no window state).
 * @example pipelines: { interval: intervalPipeline() }
 */
export function intervalPipeline(opts: IntervalPipelineOptions = {}): PipelineFactory {
  return partitionPipeline<'interval', IntervalReportRow, PartitionOutput<IntervalReportRow>>({
    source: 'interval',
    create: () => {
      const p = new IntervalPartition(opts);
      return {
        process: (items) => ({ ...p.process(items.map((i) => i.event)), late: 0 }),
        commitPosition: (next) => next,
        close: () => p.close(),
      };
    },
    write: (store, rows) => store.upsertIntervalReports(rows),
  });
}
