import type { ExtensionEvent, ExtensionState } from '../events/types.js';
import type { PipelineFactory } from '../partition.js';
import { StatePartition, type StateHooks, type StateSource, type StateWindowOptions } from '../timelines/state-partition.js';
import { EXTENSION_STATES, toExtensionRow, type ExtensionWindowRow } from './rows.js';

/**
 * How extension events map onto state timelines: IDLE, RINGING, BUSY and DND accumulate time;
 * UNAVAILABLE (the device is not registered: the agent's phone is off or logged out) does not, as an
 * agent's LOGGED_OUT does not — entering it is counted, and a device that stays unavailable is
 * forgotten once its change is past the allowed lateness instead of writing a row every minute.
 */
export const EXTENSION_SOURCE: StateSource<ExtensionEvent, ExtensionState, ExtensionWindowRow> = {
  source: 'extension',
  spec: { states: EXTENSION_STATES, untracked: ['UNAVAILABLE'] },
  key: (e) => `${e.tenant}\u0000${e.body.extension}`,
  id: (e) => e.id,
  ts: (e) => e.ts,
  change: (e) => ({ state: e.body.state }),
  toRow: toExtensionRow,
  write: (store, rows) => store.upsertExtensionWindows(rows),
};

/**
 * The extension pipeline of one source partition: busy, idle, ringing, unavailable and DND time and
 * entry counts per (tenant, extension), per 1-minute window and per 15/30-minute interval of event
 * time, by the same rules as the agent pipeline (pipelines/timelines/README.md). A device silent for
 * longer than `maxOpenStateMs` goes stale: its time stops being counted until its next change.
 */
export class ExtensionPartition extends StatePartition<ExtensionEvent, ExtensionState, ExtensionWindowRow> {
  /** `resume`: what the partition's previous reader committed (see `StatePartition.commitMetadata`). */
  constructor(opts: StateWindowOptions, resume?: string, hooks?: StateHooks<ExtensionWindowRow>) {
    super(EXTENSION_SOURCE, opts, resume, hooks);
  }

  /** Extensions held in memory. */
  get extensions(): number {
    return this.entities;
  }
}

/**
 * The extension pipeline for the worker: one {@link ExtensionPartition} per assigned partition.
 * @example pipelines: { extension: extensionPipeline({ outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 }) }
 */
export function extensionPipeline(opts: StateWindowOptions, hooks?: StateHooks<ExtensionWindowRow>): PipelineFactory<ExtensionEvent> {
  return (resume) => new ExtensionPartition(opts, resume, hooks);
}
