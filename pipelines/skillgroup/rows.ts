import type { WindowResult } from '../../operators/index.js';
import type { SkillGroupSums } from '../metrics/skillgroup-sums.js';

/**
 * A 1-minute figure row of one skill group: the window's raw sums (never ratios, so every metric
 * variant can be computed from it) plus a version that only grows as the window fills (a replay of
 * the same events reaches the same version), so "latest version wins" never keeps a partial row.
 * Durations in ms.
 */
export interface MinuteRow {
  tenant: string;
  skillGroup: string;
  /** Epoch ms, aligned to the minute. */
  windowStart: number;
  version: number;
  /** True once the watermark passed the window's end (later rows are late corrections). */
  final: boolean;
  offered: number;
  answered: number;
  answeredWithinSl: number;
  answerWaitMs: number;
  abandoned: number;
  abandonedWithinSl: number;
  shortAbandons: number;
  abandonWaitMs: number;
  overflowed: number;
  /** Longest wait of a call that left the queue in this minute (0 when none did). */
  maxWaitMs: number;
  handled: number;
  transferred: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
  /** Service-level threshold the "within" counts used. */
  serviceLevelMs: number;
  shortAbandonMs: number;
}

/** Sliding real-time figures: the sums of the last `sizeMs` ending at `windowEnd`. */
export interface SlidingFigures {
  tenant: string;
  skillGroup: string;
  /** Epoch ms (exclusive). */
  windowEnd: number;
  /** 300 000 (5 min) or 3 600 000 (60 min). */
  sizeMs: number;
  sums: SkillGroupSums;
}

/** Turns a window result of sums into a stored row. */
export function toMinuteRow(r: WindowResult<string, SkillGroupSums>): MinuteRow {
  const i = r.key.indexOf('\u0000');
  const s = r.value;
  return {
    tenant: r.key.slice(0, i),
    skillGroup: r.key.slice(i + 1),
    windowStart: r.windowStart,
    version: r.version,
    final: r.final,
    offered: s.offered,
    answered: s.answered,
    answeredWithinSl: s.answeredWithinSl,
    answerWaitMs: s.answerWaitMs,
    abandoned: s.abandoned,
    abandonedWithinSl: s.abandonedWithinSl,
    shortAbandons: s.shortAbandons,
    abandonWaitMs: s.abandonWaitMs,
    overflowed: s.overflowed,
    maxWaitMs: s.maxWaitMs ?? 0,
    handled: s.handled,
    transferred: s.transferred,
    talkMs: s.talkMs,
    holdMs: s.holdMs,
    acwMs: s.acwMs,
    serviceLevelMs: s.serviceLevelMs,
    shortAbandonMs: s.shortAbandonMs,
  };
}
