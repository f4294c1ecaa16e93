import { createHash } from 'node:crypto';
import type { PipelineFactory } from '../partition-pipeline.js';
import { IntervalPartition, type IntervalPipelineOptions } from './pipeline.js';
import type { IntervalReportRow } from './rows.js';

/** Token of a set of reports: the same reports always get the same token. */
export function reportsToken(rows: IntervalReportRow[]): string {
  const h = createHash('sha1');
  for (const r of rows) h.update(`${r.tenant}|${r.scope}|${r.key}|${r.intervalStart}|${r.intervalSec}|${r.version}|${r.eventId}\n`);
  return h.digest('base64url').slice(0, 16);
}

/**
 * The vendor interval-report pipeline as a {@link PipelineFactory} for the worker: reports are
 * stored as received, and a batch's offsets are committed as soon as they are (no window state).
 * @example pipelines: { interval: intervalPipeline() }
 */
export function intervalPipeline(opts: IntervalPipelineOptions = {}): PipelineFactory {
  return () => {
    const p = new IntervalPartition(opts);
    return {
      process(items) {
        const out = p.process(items.flatMap((i) => (i.event.source === 'interval' ? [i.event] : [])));
        return {
          store: async (store) => {
            if (out.rows.length > 0) await store.upsertIntervalReports(out.rows, reportsToken(out.rows));
          },
          afterStore: () => {},
          late: 0,
          duplicates: out.duplicates,
        };
      },
      commitPosition: (next) => next,
      close: () => p.close(),
    };
  };
}
