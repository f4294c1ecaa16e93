/**
 * The public shapes of a circuit breaker: permits, events, snapshots, JSON and options.
 */
import type { Clock } from '../../adapters/clock.js';
import type { ListenerErrorHandler } from '../../core/emitter.js';
import type { Random } from '../types.js';
import type { BreakerConfig } from './config.js';
import type { BreakerState, BreakerStateName } from './machine.js';
import type { ProbeBudget } from './probe-budget.js';
import type { WindowJSON } from './window.js';

/** Permission to make one call; hand it back with the outcome. */
export interface Permit {
  /** Breaker that issued it. */
  readonly breakerId: string;
  /** Generation it belongs to; outcomes of older generations are ignored. */
  readonly gen: number;
  /** True for a half-open probe. */
  readonly probe: boolean;
}

/** Payload of the `transition` event. */
export interface BreakerTransition {
  readonly breakerId: string;
  readonly from: BreakerStateName;
  readonly to: BreakerStateName;
  readonly reason: string;
  /** When, epoch ms. */
  readonly at: number;
  /** Escalation step after the transition. */
  readonly k: number;
  /** End of the open or forced state, epoch ms. */
  readonly until?: number;
}

/** Events a breaker emits. */
export interface BreakerEvents {
  transition: BreakerTransition;
}

/** A point-in-time view, for dashboards and the decision log. */
export interface BreakerSnapshot {
  readonly id: string;
  readonly state: BreakerStateName;
  readonly since: number;
  readonly reason: string;
  readonly k: number;
  readonly until: number | undefined;
  readonly calls: number;
  readonly errors: number;
  readonly slow: number;
  /** errors / calls, 0 when no calls. */
  readonly errorRatio: number;
  /** slow / calls, 0 when no calls. */
  readonly slowRatio: number;
  readonly probesAdmitted: number;
  readonly probeSuccesses: number;
}

/** Serialised breaker. */
export interface BreakerJSON {
  readonly v: 1;
  readonly id: string;
  readonly state: BreakerState;
  readonly window: WindowJSON;
}

/** Construction options. */
export interface BreakerOptions {
  /** Identifies the breaker fleet-wide, e.g. `cti:node-a`. */
  readonly id: string;
  readonly config?: Partial<BreakerConfig>;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Jitter source. Default: `Math.random`. */
  readonly random?: Random;
  /** Default: a private in-memory budget (per process). */
  readonly probeBudget?: ProbeBudget;
  readonly onListenerError?: ListenerErrorHandler;
  /**
   * Whether the window's rules trip the breaker (default true). False for a breaker
   * that records outcomes for its figures but opens only through {@link CircuitBreaker.trip}
   * (the fleet breakers, which need evidence from more than one tenant).
   */
  readonly autoTrip?: boolean;
}
