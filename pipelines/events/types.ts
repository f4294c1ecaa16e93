/** Normalized telemetry events (docs/architecture.md#normalized-events). Every source maps into these. */

export type Source = 'agent' | 'extension' | 'skillgroup' | 'interval';
export const SOURCES: readonly Source[] = ['agent', 'extension', 'skillgroup', 'interval'];

export type AgentState = 'LOGGED_OUT' | 'AVAILABLE' | 'RINGING' | 'ON_CALL' | 'HOLD' | 'ACW' | 'AUX';
export type ExtensionState = 'IDLE' | 'RINGING' | 'BUSY' | 'UNAVAILABLE' | 'DND';
export type CallEventType = 'OFFERED' | 'ANSWERED' | 'ABANDONED' | 'TRANSFERRED' | 'OVERFLOWED' | 'COMPLETED';

interface Envelope<S extends Source, B> {
  /** Schema version. */
  v: 1;
  tenant: string;
  source: S;
  /** Unique per event; used for dedup. */
  id: string;
  /** Event time, epoch ms. */
  ts: number;
  body: B;
}

export interface AgentBody {
  agentId: string;
  state: AgentState;
  /** AUX reason code. */
  reason?: string;
  callId?: string;
  skillGroups?: string[];
}

export interface ExtensionBody {
  extension: string;
  state: ExtensionState;
  callId?: string;
}

/** A call's lifecycle in a skill-group queue. Durations in ms. */
export interface SkillGroupBody {
  skillGroup: string;
  callId: string;
  type: CallEventType;
  waitMs?: number;
  talkMs?: number;
  holdMs?: number;
  acwMs?: number;
  agentId?: string;
  priority?: number;
  channel?: string;
  /** Why the call left the queue or how it ended, as the source tells it (e.g. `timeout`, `key`, `empty`, `blind`, `attended`); at most 64 characters. */
  reason?: string;
}

/** A vendor-computed interval report row: raw sums, never ratios. */
export interface IntervalBody {
  scope: 'skillgroup' | 'agent';
  key: string;
  /** Epoch ms. */
  intervalStart: number;
  intervalSec: 900 | 1800;
  offered?: number;
  answered?: number;
  abandoned?: number;
  answeredWithinSl?: number;
  talkSec?: number;
  holdSec?: number;
  acwSec?: number;
  [counter: string]: unknown;
}

export type AgentEvent = Envelope<'agent', AgentBody>;
export type ExtensionEvent = Envelope<'extension', ExtensionBody>;
export type SkillGroupEvent = Envelope<'skillgroup', SkillGroupBody>;
export type IntervalEvent = Envelope<'interval', IntervalBody>;
export type TelemetryEvent = AgentEvent | ExtensionEvent | SkillGroupEvent | IntervalEvent;
