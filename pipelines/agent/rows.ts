import type { AgentState } from '../events/types.js';
import { reasonsOf } from '../timelines/figures.js';
import type { StateWindow } from '../timelines/state-window.js';

/** Every agent state, in the order of docs/architecture.md#normalized-events. */
export const AGENT_STATES: readonly AgentState[] = ['LOGGED_OUT', 'AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ACW', 'AUX'];

/**
 * One agent's figures over one window (a minute, or a 15/30-minute interval) of event time: raw sums,
 * never ratios (occupancy and utilisation are computed at query time from these). A row replaces any
 * stored row of the same (tenant, agent, windowSec, windowStart) with a lower version.
 */
export interface AgentWindowRow {
  tenant: string;
  agentId: string;
  /** Epoch ms, aligned to the window size. */
  windowStart: number;
  /** Window length, seconds: 60, 900 or 1800. */
  windowSec: number;
  version: number;
  /** True once the watermark passed the window end. */
  final: boolean;
  /**
   * Time in each state inside the window, ms. LOGGED_OUT is always 0: time logged out is not staffed
   * time and is not accumulated.
   */
  ms: Record<AgentState, number>;
  /**
   * Times each state was entered inside the window (a repeat of the current state is none, and
   * HOLD → ON_CALL resumes a call rather than entering a new one): `entries.ON_CALL` is the number of
   * calls handled, `entries.LOGGED_OUT` the number of logouts.
   */
  entries: Record<AgentState, number>;
  /** AUX time by reason code, ms (`''` when the event gave none). */
  auxMsByReason: Record<string, number>;
}

/**
 * Turns a window of the state pipeline into a stored row, with records of its own (a literal of a
 * fixed shape: rows come by the hundred thousand). Index order is {@link AGENT_STATES}'.
 */
export function toAgentRow(w: StateWindow<AgentState>): AgentWindowRow {
  const { ms: m, entries: n } = w.delta;
  return {
    tenant: w.tenant,
    agentId: w.entity,
    windowStart: w.windowStart,
    windowSec: w.windowSec,
    version: w.version,
    final: w.final,
    ms: {
      LOGGED_OUT: m[0] as number,
      AVAILABLE: m[1] as number,
      RINGING: m[2] as number,
      ON_CALL: m[3] as number,
      HOLD: m[4] as number,
      ACW: m[5] as number,
      AUX: m[6] as number,
    },
    entries: {
      LOGGED_OUT: n[0] as number,
      AVAILABLE: n[1] as number,
      RINGING: n[2] as number,
      ON_CALL: n[3] as number,
      HOLD: n[4] as number,
      ACW: n[5] as number,
      AUX: n[6] as number,
    },
    auxMsByReason: reasonsOf(w.delta),
  };
}
