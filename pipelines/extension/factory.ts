import { createHash } from 'node:crypto';
import type { StateWindowOptions } from '../agent/state-partition.js';
import type { PipelineFactory } from '../partition-pipeline.js';
import { ExtensionPartition } from './pipeline.js';
import type { ExtensionWindowRow } from './rows.js';

/** Where stored extension figures go next. */
export interface ExtensionHooks {
  onRows?(rows: ExtensionWindowRow[]): void;
}

/** Token of a set of rows: the same rows (same versions) always get the same token. */
export function extensionRowsToken(rows: ExtensionWindowRow[]): string {
  const h = createHash('sha1');
  for (const r of rows) h.update(`${r.tenant}|${r.extension}|${r.windowSec}|${r.windowStart}|${r.version}|${r.final}\n`);
  return h.digest('base64url').slice(0, 16);
}

/**
 * The extension pipeline as a {@link PipelineFactory} for the worker: one {@link ExtensionPartition}
 * per assigned partition; each batch's changed rows are upserted before the commit.
 * @example pipelines: { extension: extensionPipeline({ outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 }) }
 */
export function extensionPipeline(opts: StateWindowOptions, hooks: ExtensionHooks = {}): PipelineFactory {
  return () => {
    const p = new ExtensionPartition(opts);
    return {
      process(items, now) {
        const out = p.process(items.flatMap((i) => (i.event.source === 'extension' ? [{ event: i.event, offset: i.offset }] : [])), now);
        return {
          store: async (store) => {
            if (out.rows.length > 0) await store.upsertExtensionWindows(out.rows, extensionRowsToken(out.rows));
          },
          afterStore: () => {
            if (out.rows.length > 0) hooks.onRows?.(out.rows);
          },
          late: out.late,
          duplicates: out.duplicates,
        };
      },
      commitPosition: (next) => p.commitPosition(next),
      close: () => p.close(),
    };
  };
}
