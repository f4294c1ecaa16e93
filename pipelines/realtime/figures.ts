import type { AgentState, ExtensionState } from '../events/types.js';
import { abandonRate, averageHandleTime, averageSpeedOfAnswer, serviceLevel } from '../metrics/formulas.js';
import type { SlidingFigures } from '../skillgroup/rows.js';

// What the real-time state answers with (`/v1/realtime`, the wallboard, the control loop, the metrics).

/** Figures of one minute window. */
export interface MinuteFigures {
  /** Epoch ms. */
  windowStart: number;
  offered: number;
  answered: number;
  abandoned: number;
  final: boolean;
}

/** Figures over a sliding span (the last 5 or 60 closed minutes). Ratios 0–1, times ms; null when undefined. */
export interface SpanFigures {
  /** Epoch ms (exclusive). */
  windowEnd: number;
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered within T / (answered + abandoned): abandons count against. */
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  /** Abandoned / offered. */
  abandonRate: number | null;
  maxWaitMs: number | null;
}

/** The figures of a sliding span, from its sums. */
export function span(f: SlidingFigures): SpanFigures {
  const s = f.sums;
  return {
    windowEnd: f.windowEnd,
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    serviceLevel: serviceLevel(s, 'answeredAndAbandoned'),
    asaMs: averageSpeedOfAnswer(s),
    ahtMs: averageHandleTime(s),
    abandonRate: abandonRate(s, 'offered'),
    maxWaitMs: s.maxWaitMs,
  };
}

/** Current figures of one skill group (`GET /v1/realtime/skillgroups`, the wallboard, the control loop). */
export interface SkillGroupNow {
  tenant: string;
  skillGroup: string;
  /** Calls offered and not yet answered, abandoned or otherwise gone. */
  callsWaiting: number;
  /** Wait of the longest-waiting call now, ms (0 when none waits). */
  longestWaitMs: number;
  /** Agents serving this skill group, by state. */
  agents: Partial<Record<AgentState, number>>;
  currentMinute: MinuteFigures | null;
  previousMinute: MinuteFigures | null;
  /** The last 5 closed minutes. */
  last5m: SpanFigures | null;
  /** The last 60 closed minutes. */
  last60m: SpanFigures | null;
  /** Epoch ms of the last change (processing time). */
  updatedAt: number;
}

/** Current state of one agent. */
export interface AgentNow {
  tenant: string;
  agentId: string;
  state: AgentState;
  reason?: string;
  skillGroups: string[];
  /** Event time the state began, epoch ms. */
  since: number;
}

/** Current state of one extension (device). */
export interface ExtensionNow {
  tenant: string;
  extension: string;
  state: ExtensionState;
  /** Event time the state began, epoch ms. */
  since: number;
}
