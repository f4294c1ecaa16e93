/**
 * The level controller for one scope as pure functions of (state, input, now).
 *
 * - Escalation: once the pressure has called for a higher level on
 *   `escalateTicks` consecutive ticks, the level rises by ONE step per tick
 *   until it reaches the level the pressure calls for. A step overload from L0
 *   therefore reaches L3 in three ticks (with the default of 1), and the level
 *   never moves by more than one step per tick.
 * - Recovery: one level at a time, once the pressure has stayed below the
 *   current level's threshold minus the hysteresis for the whole hold; each step
 *   down restarts the hold.
 * - No flapping: an escalation within one hold after a recovery doubles the hold
 *   (up to `holdMaxMs`); it returns to `holdMs` after `holdResetMs` without an
 *   escalation. Oscillating load thus yields at most one step down per hold, and
 *   the round trips thin out as the hold grows.
 * - Override: an operator pins a level until a deadline; while pinned, ticks
 *   change nothing. When the pin ends the level stays where it was pinned and
 *   the automatic rules resume from there (so an ended pin never causes a jump).
 */
import { controlError } from '../errors.js';
import { isLevel } from '../types.js';
import type { Level } from '../types.js';
import type { LevelConfig } from './config.js';

/** An operator pin. */
export interface LevelOverride {
  readonly level: Level;
  /** End of the pin, epoch ms. */
  readonly until: number;
  readonly reason: string;
}

/** State of one scope; a plain object. */
export interface LevelState {
  readonly level: Level;
  /** Time of the last level change, epoch ms. */
  readonly since: number;
  /** Why the current level was entered. */
  readonly reason: string;
  /** Consecutive ticks on which pressure called for a higher level. */
  readonly above: number;
  /** Start of the current low-pressure stretch, epoch ms, or null. */
  readonly belowSince: number | null;
  /** Current hold, ms. */
  readonly holdMs: number;
  readonly lastEscalationAt: number | null;
  readonly lastRecoveryAt: number | null;
  readonly override: LevelOverride | null;
}

/** Kind of a change. */
export type LevelChangeKind = 'escalate' | 'recover' | 'override' | 'override-end';

/** A level change (or a pin starting or ending), with its reason. */
export interface LevelChange {
  readonly from: Level;
  readonly to: Level;
  readonly kind: LevelChangeKind;
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
}

/** Result of one step. */
export interface LevelStep {
  readonly state: LevelState;
  readonly change: LevelChange | null;
}

/** State of a new scope at `now` (epoch ms): L0. */
export function initialLevelState(now: number, cfg: LevelConfig): LevelState {
  return {
    level: 0,
    since: now,
    reason: 'initial',
    above: 0,
    belowSince: null,
    holdMs: cfg.holdMs,
    lastEscalationAt: null,
    lastRecoveryAt: null,
    override: null,
  };
}

/** The level pressure alone calls for: the highest level whose threshold it reaches. */
export function targetLevel(pressure: number, cfg: LevelConfig): Level {
  const [t1, t2, t3] = cfg.thresholds;
  return pressure >= t3 ? 3 : pressure >= t2 ? 2 : pressure >= t1 ? 1 : 0;
}

const f2 = (x: number): string => x.toFixed(2);

/** Ends an expired pin; otherwise returns `s` unchanged with no change. */
export function expireOverride(s: LevelState, now: number): LevelStep {
  if (s.override === null || now < s.override.until) return { state: s, change: null };
  const reason = `override to L${s.override.level} expired; automatic control resumes from L${s.level}`;
  return {
    state: { ...s, override: null, above: 0, belowSince: null, reason },
    change: { from: s.level, to: s.level, kind: 'override-end', reason, at: now },
  };
}

/**
 * One tick for one scope.
 * @param pressure score in [0, 1] (NaN is treated as "no reading": nothing changes)
 * @param detail appended to reasons, e.g. the top pressure component
 */
export function stepLevel(s0: LevelState, pressure: number, now: number, cfg: LevelConfig, detail?: string): LevelStep {
  const expired = expireOverride(s0, now);
  if (expired.change !== null || s0.override !== null || Number.isNaN(pressure)) return expired;
  let s = s0;
  // A config changed at run time (a tenant's policy tuning): the hold in force stays within its new bounds.
  if (s.holdMs < cfg.holdMs || s.holdMs > cfg.holdMaxMs) s = { ...s, holdMs: Math.min(cfg.holdMaxMs, Math.max(cfg.holdMs, s.holdMs)) };
  if (s.holdMs !== cfg.holdMs && s.lastEscalationAt !== null && now - s.lastEscalationAt >= cfg.holdResetMs)
    s = { ...s, holdMs: cfg.holdMs };
  const suffix = detail === undefined ? '' : `; ${detail}`;
  const target = targetLevel(pressure, cfg);
  if (target > s.level) {
    const above = s.above + 1;
    if (above < cfg.escalateTicks) return { state: { ...s, above, belowSince: null }, change: null };
    const to = (s.level + 1) as Level;
    const quick = s.lastRecoveryAt !== null && now - s.lastRecoveryAt < s.holdMs;
    const holdMs = quick ? Math.min(cfg.holdMaxMs, Math.max(1, s.holdMs * 2)) : s.holdMs;
    const reason =
      `pressure ${f2(pressure)} ≥ L${to} threshold ${cfg.thresholds[to - 1]} for ${above} tick(s)` +
      (quick ? `; re-escalated ${now - s.lastRecoveryAt!} ms after a recovery, hold now ${holdMs} ms` : '') +
      suffix;
    return {
      state: { ...s, level: to, since: now, reason, above, belowSince: null, holdMs, lastEscalationAt: now },
      change: { from: s.level, to, kind: 'escalate', reason, at: now },
    };
  }
  const exit = s.level > 0 ? cfg.thresholds[s.level - 1]! - cfg.hysteresis : Number.NEGATIVE_INFINITY;
  if (!(pressure < exit)) return { state: s.above === 0 && s.belowSince === null ? s : { ...s, above: 0, belowSince: null }, change: null };
  const belowSince = s.belowSince ?? now;
  if (now - belowSince < s.holdMs)
    return { state: s.above === 0 && s.belowSince === belowSince ? s : { ...s, above: 0, belowSince }, change: null };
  const to = (s.level - 1) as Level;
  const reason = `pressure ${f2(pressure)} < ${f2(exit)} (L${s.level} threshold − hysteresis) for ${now - belowSince} ms${suffix}`;
  return {
    state: { ...s, level: to, since: now, reason, above: 0, belowSince: now, lastRecoveryAt: now },
    change: { from: s.level, to, kind: 'recover', reason, at: now },
  };
}

/**
 * Pins `level` for `forMs` ms.
 * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` for an unknown level or forMs outside (0, maxOverrideMs]
 */
export function pinLevel(s: LevelState, level: Level, forMs: number, now: number, reason: string, cfg: LevelConfig): LevelStep {
  if (!isLevel(level))
    throw controlError('SLUICE_ERR_CONTROL_OVERRIDE_INVALID', `level must be 0, 1, 2 or 3 (got ${JSON.stringify(level)})`);
  if (typeof forMs !== 'number' || !(forMs > 0) || forMs > cfg.maxOverrideMs) {
    throw controlError('SLUICE_ERR_CONTROL_OVERRIDE_INVALID', `forMs must be > 0 and ≤ ${cfg.maxOverrideMs} ms (got ${forMs})`);
  }
  const why = `pinned to L${level} for ${forMs} ms: ${reason}`;
  return {
    state: { ...s, level, since: now, reason: why, above: 0, belowSince: null, override: { level, until: now + forMs, reason } },
    change: { from: s.level, to: level, kind: 'override', reason: why, at: now },
  };
}

/** Ends a pin early; no change when none is active. */
export function unpinLevel(s: LevelState, now: number, reason: string): LevelStep {
  if (s.override === null) return { state: s, change: null };
  const why = `override to L${s.override.level} cleared: ${reason}; automatic control resumes from L${s.level}`;
  return {
    state: { ...s, override: null, above: 0, belowSince: null, reason: why },
    change: { from: s.level, to: s.level, kind: 'override-end', reason: why, at: now },
  };
}
