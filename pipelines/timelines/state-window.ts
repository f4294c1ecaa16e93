import type { Delta } from './figures.js';

/** Figures of one entity over one window (1 minute or one interval), as stored. */
// biome-ignore lint/correctness/noUnusedVariables: S names the state set the delta's arrays are indexed by, for readers and callers
export interface StateWindow<S extends string> {
  readonly tenant: string;
  readonly entity: string;
  /** Epoch ms, aligned to the window size. */
  readonly windowStart: number;
  /** 60, 900 or 1800. */
  readonly windowSec: number;
  /**
   * `epoch × 2^21 + (2 × count + final)`: the operators' version (grows with every change to the
   * window), above the versions of every earlier reader of the partition (`epoch` is one more than the
   * one its predecessor committed: see `ResumePoint` in state-partition.ts). A restart rebuilds whole every window
   * still open at the commit it resumes from, and its rows outrank what was stored before; windows
   * already finished then (past their lateness) are kept quiet, so a rebuild from partial history never
   * reaches the store.
   */
  readonly version: number;
  /** True once the watermark passed the window end (later rows are late corrections). */
  readonly final: boolean;
  /**
   * The window's sums, indexed like the spec's states: the window's own arrays, not a copy. Read them at
   * once: the next batch changes them. (Rows are made from them straight away, with their own records.)
   */
  readonly delta: Readonly<Delta>;
}
