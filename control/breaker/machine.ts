/**
 * The breaker's state machine as a pure function of (state, input, now).
 * States are plain frozen objects, so they serialise as they are and Redis can
 * hold them; the stateful {@link CircuitBreaker} wraps this with a window, a
 * clock, a probe budget and events.
 *
 * ```
 * closed ──trip──► open ──(until)──► half-open ──M successes──► closed
 *                   ▲                   │ probe failure / deadline
 *                   └───────────────────┘
 * any ──force──► forced-open ──(expiry / clear)──► half-open
 * any ──force──► forced-closed ──(expiry / clear)──► closed
 * ```
 */
import type { Random } from '../types.js';
import type { BreakerConfig } from './config.js';

/** Name of a breaker state. */
export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'forced-open' | 'forced-closed';

interface Common {
  /** Generation: increases by one on every change of state name; permits of older generations are ignored. */
  readonly gen: number;
  /** Escalation step: opens since the breaker was last healthy long enough (decays while closed). */
  readonly k: number;
  /** When this state was entered, epoch ms. */
  readonly since: number;
  /** Why this state was entered. */
  readonly reason: string;
}

/** Closed: every call passes and is recorded. `k` decays from `since`. */
export interface ClosedState extends Common {
  readonly name: 'closed';
}
/** Open: every call is rejected until `until` (epoch ms). */
export interface OpenState extends Common {
  readonly name: 'open';
  readonly until: number;
}
/** Half-open: a bounded trial; `trial` (epoch ms) names it fleet-wide for the probe budget. */
export interface HalfOpenState extends Common {
  readonly name: 'half-open';
  readonly trial: number;
  /** Probes admitted by this instance. */
  readonly admitted: number;
  /** Of those, successes. */
  readonly successes: number;
}
/** Forced by an operator until `until` (epoch ms). */
export interface ForcedState extends Common {
  readonly name: 'forced-open' | 'forced-closed';
  readonly until: number;
}

/** Any breaker state. */
export type BreakerState = ClosedState | OpenState | HalfOpenState | ForcedState;

/** An input to the machine. */
export type BreakerInput =
  | { readonly type: 'tick' }
  | { readonly type: 'trip'; readonly reason: string }
  | { readonly type: 'probe-admitted' }
  | { readonly type: 'probe-released' }
  | { readonly type: 'probe-success' }
  | { readonly type: 'probe-failure'; readonly reason: string }
  | { readonly type: 'force'; readonly mode: 'open' | 'closed'; readonly until: number; readonly reason: string }
  | { readonly type: 'clear-force'; readonly reason: string };

/** The only state changes the machine makes (a forced state may also be re-forced to the same name). */
export const LEGAL_TRANSITIONS: Readonly<Record<BreakerStateName, readonly BreakerStateName[]>> = Object.freeze({
  closed: ['open', 'forced-open', 'forced-closed'],
  open: ['half-open', 'forced-open', 'forced-closed'],
  'half-open': ['closed', 'open', 'forced-open', 'forced-closed'],
  'forced-open': ['half-open', 'forced-open', 'forced-closed'],
  'forced-closed': ['closed', 'forced-open', 'forced-closed'],
});

/** The state of a new breaker at `now` (epoch ms). */
export function initialBreakerState(now: number): ClosedState {
  return Object.freeze({ name: 'closed', gen: 0, k: 0, since: now, reason: 'initial' });
}

/** Escalation step at `now`: while closed, k drops by one per `healthyIntervalMs` spent closed. */
export function effectiveK(s: BreakerState, now: number, cfg: BreakerConfig): number {
  if (s.name !== 'closed') return s.k;
  return Math.max(0, s.k - Math.floor(Math.max(0, now - s.since) / cfg.healthyIntervalMs));
}

/**
 * Open duration for escalation step `k` ≥ 1: min(base · 2^(k−1), max), shortened by
 * up to `jitter` of itself so a fleet does not probe in lockstep.
 * @param r a uniform random number in [0, 1)
 * @returns milliseconds, at least 1
 */
export function openDurationMs(k: number, cfg: BreakerConfig, r: number): number {
  const d = Math.min(cfg.openBaseMs * 2 ** Math.max(0, k - 1), cfg.openMaxMs);
  return Math.max(1, Math.round(d * (1 - cfg.jitter * r)));
}

/** Next time (epoch ms) at which a `tick` changes `s`, if any. */
export function deadline(s: BreakerState, cfg: BreakerConfig): number | undefined {
  switch (s.name) {
    case 'open':
    case 'forced-open':
    case 'forced-closed':
      return s.until;
    case 'half-open':
      return s.since + cfg.halfOpenMaxMs;
    default:
      return undefined;
  }
}

function open(s: BreakerState, k: number, now: number, cfg: BreakerConfig, random: Random, reason: string): OpenState {
  const until = now + openDurationMs(k, cfg, random());
  return Object.freeze({ name: 'open', gen: s.gen + 1, k, since: now, until, reason });
}

function halfOpen(s: BreakerState, trial: number, now: number, reason: string): HalfOpenState {
  return Object.freeze({ name: 'half-open', gen: s.gen + 1, k: s.k, since: now, trial, admitted: 0, successes: 0, reason });
}

function closed(s: BreakerState, now: number, reason: string): ClosedState {
  return Object.freeze({ name: 'closed', gen: s.gen + 1, k: s.k, since: now, reason });
}

function onTick(s: BreakerState, now: number, cfg: BreakerConfig, random: Random): BreakerState {
  switch (s.name) {
    case 'open':
      return now >= s.until ? halfOpen(s, s.until, now, `open for ${s.until - s.since} ms`) : s;
    case 'forced-open':
      return now >= s.until ? halfOpen(s, s.until, now, 'forced open expired') : s;
    case 'forced-closed':
      return now >= s.until ? closed(s, now, 'forced closed expired') : s;
    case 'half-open': {
      if (now < s.since + cfg.halfOpenMaxMs) return s;
      if (s.admitted > 0 && s.successes === s.admitted) {
        return closed(s, now, `half-open deadline: all ${s.admitted} probes succeeded (budget spent elsewhere)`);
      }
      if (s.admitted === 0) return open(s, s.k, now, cfg, random, 'half-open deadline: no probe traffic');
      return open(s, s.k + 1, now, cfg, random, `half-open deadline: ${s.admitted - s.successes} probes unanswered`);
    }
    default:
      return s;
  }
}

/**
 * Applies one input at `now` (epoch ms). Returns `s` itself when nothing
 * changes, so callers can compare by reference. Inputs that make no sense in
 * the current state (a trip while open, a probe result while closed) are ignored.
 * @param random consulted only when the breaker opens (jitter)
 */
export function transition(s: BreakerState, input: BreakerInput, now: number, cfg: BreakerConfig, random: Random): BreakerState {
  switch (input.type) {
    case 'tick':
      return onTick(s, now, cfg, random);
    case 'trip':
      return s.name === 'closed' ? open(s, effectiveK(s, now, cfg) + 1, now, cfg, random, input.reason) : s;
    case 'probe-admitted':
      if (s.name !== 'half-open' || s.admitted >= cfg.probes) return s;
      return Object.freeze({ ...s, admitted: s.admitted + 1 });
    case 'probe-released':
      // A probe handed back unused: it never happened (its budget slot goes to the next call).
      if (s.name !== 'half-open' || s.admitted <= s.successes) return s;
      return Object.freeze({ ...s, admitted: s.admitted - 1 });
    case 'probe-success': {
      if (s.name !== 'half-open' || s.successes >= s.admitted) return s;
      const successes = s.successes + 1;
      if (successes >= cfg.probeSuccesses) return closed(s, now, `${successes} of ${s.admitted} probes succeeded`);
      return Object.freeze({ ...s, successes });
    }
    case 'probe-failure':
      return s.name === 'half-open' ? open(s, s.k + 1, now, cfg, random, input.reason) : s;
    case 'force': {
      const name = input.mode === 'open' ? 'forced-open' : 'forced-closed';
      const k = effectiveK(s, now, cfg);
      return Object.freeze({ name, gen: s.gen + 1, k, since: now, until: input.until, reason: input.reason });
    }
    case 'clear-force':
      if (s.name === 'forced-open') return halfOpen(s, now, now, input.reason);
      if (s.name === 'forced-closed') return closed(s, now, input.reason);
      return s;
  }
}
