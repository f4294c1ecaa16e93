/**
 * Row builders for tests and fixtures of the pipelines (and of rooms reading their rows): a zeroed row of
 * each stored kind with the fields a test names applied. Test support only: no product code imports it.
 */
import type { AgentState, ExtensionState } from '../events/types.js';
import type { AgentWindowRow } from '../agent/rows.js';
import type { ExtensionWindowRow } from '../extension/rows.js';
import type { MinuteRow } from '../skillgroup/rows.js';

/** A zeroed row for a key and window, with `over` applied (tests, fixtures). */
export function minuteRow(over: Partial<MinuteRow> & Pick<MinuteRow, 'tenant' | 'skillGroup' | 'windowStart'>): MinuteRow {
  return {
    version: 1,
    final: false,
    offered: 0,
    answered: 0,
    answeredWithinSl: 0,
    answerWaitMs: 0,
    abandoned: 0,
    abandonedWithinSl: 0,
    shortAbandons: 0,
    abandonWaitMs: 0,
    overflowed: 0,
    maxWaitMs: 0,
    handled: 0,
    transferred: 0,
    talkMs: 0,
    holdMs: 0,
    acwMs: 0,
    serviceLevelMs: 20_000,
    shortAbandonMs: 5_000,
    ...over,
  };
}

const agentZeros = (): Record<AgentState, number> => ({ LOGGED_OUT: 0, AVAILABLE: 0, RINGING: 0, ON_CALL: 0, HOLD: 0, ACW: 0, AUX: 0 });

/** A zeroed 1-minute row with `over` applied; `ms` and `entries` may be partial (tests, fixtures). */
export function agentWindowRow(
  over: Partial<Omit<AgentWindowRow, 'ms' | 'entries'>> &
    Pick<AgentWindowRow, 'tenant' | 'agentId' | 'windowStart'> & {
      ms?: Partial<Record<AgentState, number>>;
      entries?: Partial<Record<AgentState, number>>;
    },
): AgentWindowRow {
  const { ms, entries, ...rest } = over;
  return {
    windowSec: 60,
    version: 1,
    final: false,
    auxMsByReason: {},
    ...rest,
    ms: { ...agentZeros(), ...ms },
    entries: { ...agentZeros(), ...entries },
  };
}

const extensionZeros = (): Record<ExtensionState, number> => ({ IDLE: 0, RINGING: 0, BUSY: 0, UNAVAILABLE: 0, DND: 0 });

/** A zeroed 1-minute row with `over` applied; `ms` and `entries` may be partial (tests, fixtures). */
export function extensionWindowRow(
  over: Partial<Omit<ExtensionWindowRow, 'ms' | 'entries'>> &
    Pick<ExtensionWindowRow, 'tenant' | 'extension' | 'windowStart'> & {
      ms?: Partial<Record<ExtensionState, number>>;
      entries?: Partial<Record<ExtensionState, number>>;
    },
): ExtensionWindowRow {
  const { ms, entries, ...rest } = over;
  return {
    windowSec: 60,
    version: 1,
    final: false,
    ...rest,
    ms: { ...extensionZeros(), ...ms },
    entries: { ...extensionZeros(), ...entries },
  };
}
