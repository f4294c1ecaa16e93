import type { ExtensionState } from '../events/types.js';
import type { StateWindow } from '../timelines/state-window.js';

/** Every extension (device) state. */
export const EXTENSION_STATES: readonly ExtensionState[] = ['IDLE', 'RINGING', 'BUSY', 'UNAVAILABLE', 'DND'];

/**
 * One extension's figures over one window (a minute, or a 15/30-minute interval) of event time. A row
 * replaces any stored row of the same (tenant, extension, windowSec, windowStart) with a lower version.
 */
export interface ExtensionWindowRow {
  tenant: string;
  extension: string;
  /** Epoch ms, aligned to the window size. */
  windowStart: number;
  /** Window length, seconds: 60, 900 or 1800. */
  windowSec: number;
  version: number;
  /** True once the watermark passed the window end. */
  final: boolean;
  /** Time in each state inside the window, ms. */
  ms: Record<ExtensionState, number>;
  /** Times each state was entered inside the window (a repeat of the current state is none). */
  entries: Record<ExtensionState, number>;
}

/** Turns a window of the state pipeline into a stored row, with records of its own, as `toAgentRow` does (index order: {@link EXTENSION_STATES}). */
export function toExtensionRow(w: StateWindow<ExtensionState>): ExtensionWindowRow {
  const { ms: m, entries: n } = w.delta;
  return {
    tenant: w.tenant,
    extension: w.entity,
    windowStart: w.windowStart,
    windowSec: w.windowSec,
    version: w.version,
    final: w.final,
    ms: { IDLE: m[0] as number, RINGING: m[1] as number, BUSY: m[2] as number, UNAVAILABLE: m[3] as number, DND: m[4] as number },
    entries: { IDLE: n[0] as number, RINGING: n[1] as number, BUSY: n[2] as number, UNAVAILABLE: n[3] as number, DND: n[4] as number },
  };
}
