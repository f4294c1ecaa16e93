import type { AgentState, ExtensionState } from '../events/types.js';

/** One state change of an agent or a device, at `ts` (epoch ms). `reason` is the AUX reason code, if any. */
export interface StateChange<S extends string> {
  ts: number;
  state: S;
  reason?: string;
}

/** A span of time, epoch ms: `from` inclusive, `to` exclusive. */
export interface Period {
  from: number;
  to: number;
}

/** What a state timeline adds up to over a {@link Period}. Times in ms. */
export interface StateTimes<S extends string> {
  /** Time in each state. */
  ms: Record<S, number>;
  /** Times each state was entered inside the period (a repeat of the current state is not an entry). */
  entries: Record<S, number>;
  /** Time in the reasoned state (AUX for agents) by reason code; `''` when none was given. */
  byReason: Record<string, number>;
  /** Time inside the period before the first known state. */
  unknownMs: number;
}

const AGENT_STATES: readonly AgentState[] = ['LOGGED_OUT', 'AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ACW', 'AUX'];
const EXTENSION_STATES: readonly ExtensionState[] = ['IDLE', 'RINGING', 'BUSY', 'UNAVAILABLE', 'DND'];

function zero<S extends string>(states: readonly S[]): Record<S, number> {
  return Object.fromEntries(states.map((s) => [s, 0])) as Record<S, number>;
}

function timesIn<S extends string>(
  states: readonly S[],
  reasoned: S | undefined,
  changes: readonly StateChange<S>[],
  p: Period,
): StateTimes<S> {
  if (!(p.to >= p.from)) throw new RangeError(`period must have to ≥ from, got ${p.from}–${p.to}`);
  const out: StateTimes<S> = { ms: zero(states), entries: zero(states), byReason: {}, unknownMs: 0 };
  // A stable sort keeps the given order of changes at the same instant: the later one wins.
  const sorted = [...changes].sort((a, b) => a.ts - b.ts);
  let current: StateChange<S> | undefined;
  let at = p.from;
  const spend = (until: number) => {
    const d = until - at;
    if (d <= 0) return;
    if (!current) out.unknownMs += d;
    else {
      out.ms[current.state] += d;
      if (current.state === reasoned) out.byReason[current.reason ?? ''] = (out.byReason[current.reason ?? ''] ?? 0) + d;
    }
    at = until;
  };
  for (const c of sorted) {
    if (c.ts >= p.to) break;
    if (c.ts < p.from) {
      current = c;
      continue;
    }
    spend(c.ts);
    if (!current || current.state !== c.state) out.entries[c.state]++;
    current = c;
  }
  spend(p.to);
  return out;
}

/**
 * Time per agent state (and per AUX reason) over `period`, from one agent's state changes in any
 * order. The last change before `period.from` gives the state at its start; time before any
 * known state is `unknownMs`. Feeds {@link occupancy} and {@link utilisation} in formulas.ts.
 */
export function agentStateTimes(changes: readonly StateChange<AgentState>[], period: Period): StateTimes<AgentState> {
  return timesIn(AGENT_STATES, 'AUX', changes, period);
}

/**
 * Busy, idle, ringing (and unavailable, DND) time and entry counts of one extension over `period`,
 * from its state changes in any order; same rules as {@link agentStateTimes}.
 */
export function extensionStateTimes(changes: readonly StateChange<ExtensionState>[], period: Period): StateTimes<ExtensionState> {
  return timesIn(EXTENSION_STATES, undefined, changes, period);
}
