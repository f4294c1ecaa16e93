import { StatePartition, type StateSource, type StateWindowOptions } from '../timelines/state-partition.js';
import type { ExtensionEvent, ExtensionState } from '../events/types.js';
import { EXTENSION_STATES, toExtensionRow, type ExtensionWindowRow } from './rows.js';

/**
 * How extension events map onto state timelines: IDLE, RINGING, BUSY and DND accumulate time;
 * UNAVAILABLE (the device is not registered: the agent's phone is off or logged out) does not, as an
 * agent's LOGGED_OUT does not — entering it is counted, and a device that stays unavailable is
 * forgotten once its change is past the allowed lateness instead of writing a row every minute.
 */
export const EXTENSION_SOURCE: StateSource<ExtensionEvent, ExtensionState> = {
  spec: { states: EXTENSION_STATES, untracked: ['UNAVAILABLE'] },
  key: (e) => `${e.tenant}\u0000${e.body.extension}`,
  id: (e) => e.id,
  ts: (e) => e.ts,
  change: (e) => ({ state: e.body.state }),
};

/** What one batch of extension events produced. */
export interface ExtensionOutput {
  /** Changed 1-minute and interval rows (early, final, late corrections), newest version of each. */
  rows: ExtensionWindowRow[];
  duplicates: number;
  late: number;
}

/**
 * The extension pipeline of one source partition: busy, idle, ringing, unavailable and DND time and
 * entry counts per (tenant, extension), per 1-minute window and per 15/30-minute interval of event
 * time, by the same rules as the agent pipeline (pipelines/timelines/timelines.ts). A device silent for
 * longer than `maxOpenStateMs` goes stale: its time stops being counted until its next change.
 */
export class ExtensionPartition {
  readonly #p: StatePartition<ExtensionEvent, ExtensionState>;

  /** `resume`: what the partition's previous reader committed (see `StatePartition.commitMetadata`). */
  constructor(opts: StateWindowOptions, resume?: string) {
    this.#p = new StatePartition(EXTENSION_SOURCE, opts, resume);
  }

  /** Current watermark, epoch ms. */
  get watermark(): number {
    return this.#p.watermark;
  }

  /** Extensions held in memory. */
  get extensions(): number {
    return this.#p.entities;
  }

  /** Feeds one batch (offset order); `now` is processing time, epoch ms, pacing early rows only. */
  process(items: readonly { event: ExtensionEvent; offset: number }[], now: number): ExtensionOutput {
    const out = this.#p.process(items, now);
    return { rows: out.windows.map(toExtensionRow), duplicates: out.duplicates, late: out.late };
  }

  /** State held in memory (see `StatePartition.stateSize`). */
  get stateSize(): number {
    return this.#p.stateSize;
  }

  /** Offset to commit once everything before `next` is stored. */
  commitPosition(next: number): number {
    return this.#p.commitPosition(next);
  }

  /** What to commit beside {@link commitPosition}, for the next reader of the partition. */
  commitMetadata(): string {
    return this.#p.commitMetadata();
  }

  /** Stops the operators and frees their state. */
  close(): void {
    this.#p.close();
  }
}
