import type { AgentState, ExtensionState } from '../events/types.js';
import {
  abandonRate,
  averageHandleTime,
  averageSpeedOfAnswer,
  describeServiceLevel,
  serviceLevel,
  type ServiceLevelVariant,
} from '../metrics/formulas.js';
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
  /** Answered calls that waited at most T. */
  answeredWithinSl: number;
  /** Abandoned calls that waited at most T. */
  abandonedWithinSl: number;
  /** Abandoned calls that waited less than the short-abandon threshold. */
  shortAbandons: number;
  /** Service level in the tenant's variant ({@link serviceLevelVariant}) at its threshold T: the one every screen shows. */
  serviceLevel: number | null;
  /** Which variant {@link serviceLevel} is (docs/domain.md#service-level-the-four-variants). */
  serviceLevelVariant: ServiceLevelVariant;
  /** The threshold T the "within" counts were taken against, ms. */
  serviceLevelThresholdMs: number;
  /** The tenant's objective for {@link serviceLevel}, ratio 0–1. */
  serviceLevelObjective: number;
  /** {@link serviceLevel} in words, the variant at T ("answered within 17 s ÷ answered"): what a screen writes beside it. */
  serviceLevelDefinition: string;
  asaMs: number | null;
  ahtMs: number | null;
  /** Abandoned / offered. */
  abandonRate: number | null;
  maxWaitMs: number | null;
}

/** A tenant's service-level definition as the span figures carry it (the threshold comes with the sums). */
export interface SpanServiceLevel {
  readonly variant: ServiceLevelVariant;
  /** Ratio 0–1. */
  readonly objective: number;
}

/** Without a definition: answered within T / (answered + abandoned), objective 80 %. */
export const DEFAULT_SPAN_SERVICE_LEVEL: SpanServiceLevel = Object.freeze({ variant: 'answeredAndAbandoned', objective: 0.8 });

/** The figures of a sliding span, from its sums; the service level in the tenant's definition `sl`. */
export function span(f: SlidingFigures, sl: SpanServiceLevel = DEFAULT_SPAN_SERVICE_LEVEL): SpanFigures {
  const s = f.sums;
  return {
    windowEnd: f.windowEnd,
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    answeredWithinSl: s.answeredWithinSl,
    abandonedWithinSl: s.abandonedWithinSl,
    shortAbandons: s.shortAbandons,
    serviceLevel: serviceLevel(s, sl.variant),
    serviceLevelVariant: sl.variant,
    serviceLevelThresholdMs: s.serviceLevelMs,
    serviceLevelObjective: sl.objective,
    serviceLevelDefinition: describeServiceLevel(sl.variant, s.serviceLevelMs),
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
