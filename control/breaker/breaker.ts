/**
 * A circuit breaker for one dependency (a CTI node, a diversion channel, a sink).
 * The transitions are the pure {@link transition} function; this class adds the
 * window of outcomes, the clock, the probe budget, timers so transitions are
 * observed on time, and typed events.
 *
 * @example
 * const permit = breaker.tryAcquire();
 * if (permit === null) return failOver();      // open, or half-open with no probe slot
 * try { await call(); breaker.onSuccess(clock.now() - t0, permit); }
 * catch { breaker.onFailure(clock.now() - t0, permit); }
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import { controlError } from '../errors.js';
import { Emitter } from '../../core/emitter.js';
import type { Emits, Listener } from '../../core/emitter.js';
import type { Random } from '../types.js';
import type { BreakerEvents, BreakerJSON, BreakerOptions, BreakerSnapshot, Permit } from './api.js';
import { resolveBreakerConfig } from './config.js';
import type { BreakerConfig } from './config.js';
import { deadline, effectiveK, initialBreakerState, transition } from './machine.js';
import type { BreakerInput, BreakerState, BreakerStateName, HalfOpenState } from './machine.js';
import { InMemoryProbeBudget } from './probe-budget.js';
import { ProbeGate } from './probe-gate.js';
import { tripReason } from './rules.js';
import { parseBreakerState } from './state-json.js';
import { SlidingWindow } from './window.js';

export type { BreakerEvents, BreakerJSON, BreakerOptions, BreakerSnapshot, BreakerTransition, Permit } from './api.js';

const TICK: BreakerInput = Object.freeze({ type: 'tick' });
const PROBE_ADMITTED: BreakerInput = Object.freeze({ type: 'probe-admitted' });
const PROBE_SUCCESS: BreakerInput = Object.freeze({ type: 'probe-success' });
const PROBE_RELEASED: BreakerInput = Object.freeze({ type: 'probe-released' });

/** See the module comment. */
export class CircuitBreaker implements Emits<BreakerEvents> {
  /** Breaker id. */
  readonly id: string;
  /** Resolved, frozen configuration. */
  readonly config: BreakerConfig;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #probes: ProbeGate;
  readonly #events: Emitter<BreakerEvents>;
  readonly #autoTrip: boolean;
  #window: SlidingWindow;
  #s: BreakerState;
  #closedPermit: Permit;
  #timer: TimerHandle | undefined;
  #disposed = false;
  /** Failures in a row since the last success (the streak rule, see `BreakerConfig.failureStreak`). */
  #streak = 0;
  /** Time of the streak's last failure, epoch ms. */
  #streakAt = Number.NEGATIVE_INFINITY;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad option */
  constructor(options: BreakerOptions) {
    this.id = options.id;
    this.config = resolveBreakerConfig(options.config);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    const local = new InMemoryProbeBudget(this.#clock);
    this.#probes = new ProbeGate(options.probeBudget ?? local, local);
    this.#events = new Emitter<BreakerEvents>(options.onListenerError);
    this.#autoTrip = options.autoTrip ?? true;
    this.#window = new SlidingWindow(this.config);
    this.#s = initialBreakerState(this.#clock.now());
    this.#closedPermit = Object.freeze({ breakerId: this.id, gen: this.#s.gen, probe: false });
  }

  /**
   * Rebuilds a breaker from {@link toJSON} output (e.g. read back from Redis).
   * @throws SluiceError `SLUICE_ERR_CONTROL_STATE_INVALID` when the JSON is malformed or names another breaker
   */
  static restore(json: unknown, options: BreakerOptions): CircuitBreaker {
    const j = json as Partial<BreakerJSON> | null;
    if (typeof j !== 'object' || j === null || j.v !== 1 || j.id !== options.id) {
      throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', `breaker JSON must have v 1 and id ${JSON.stringify(options.id)}`);
    }
    const b = new CircuitBreaker(options);
    b.#window = SlidingWindow.restore(j.window, b.config);
    b.#s = parseBreakerState(j.state);
    b.#closedPermit = Object.freeze({ breakerId: b.id, gen: b.#s.gen, probe: false });
    b.#schedule(b.#clock.now());
    return b;
  }

  /** Current state name (time-driven transitions applied first). */
  get state(): BreakerStateName {
    if (this.#s.name !== 'closed') this.#advance(this.#clock.now());
    return this.#s.name;
  }

  /** The machine state (a frozen plain object, time-driven transitions applied), e.g. to share it without the window. */
  get machineState(): BreakerState {
    if (this.#s.name !== 'closed') this.#advance(this.#clock.now());
    return this.#s;
  }

  /**
   * Asks to make one call. Never waits: `null` means "do not call, fail over now"
   * (open, forced open, or half-open with no probe slot left).
   */
  tryAcquire(): Permit | null {
    if (this.#s.name !== 'closed') this.#advance(this.#clock.now());
    switch (this.#s.name) {
      case 'closed':
      case 'forced-closed':
        return this.#closedPermit;
      case 'half-open':
        return this.#tryProbe(this.#s);
      default:
        return null;
    }
  }

  /**
   * Reports a successful call.
   * @param latencyMs call duration, ms (≥ `slowCallMs` counts as slow; a slow probe fails the trial)
   * @param permit the permit {@link tryAcquire} returned for the call
   */
  onSuccess(latencyMs: number, permit: Permit): void {
    this.#outcome(latencyMs, permit, false);
  }

  /**
   * Reports a failed call.
   * @param latencyMs call duration, ms
   * @param permit the permit {@link tryAcquire} returned for the call
   */
  onFailure(latencyMs: number, permit: Permit): void {
    this.#outcome(latencyMs, permit, true);
  }

  /**
   * Reports a call the target never answered within the caller's deadline: a failure that carries no
   * latency (it is not in the window's latency histogram, so it never raises the latency quantiles).
   * @param permit the permit {@link tryAcquire} returned for the call
   */
  onTimeout(permit: Permit): void {
    this.#outcome(Number.NaN, permit, true);
  }

  /**
   * Hands back a permit whose call was never made (e.g. another breaker refused the
   * same call): a half-open probe stops counting and its slot goes to the next call.
   * No effect for other permits.
   */
  release(permit: Permit): void {
    if (!permit.probe || permit.breakerId !== this.id) return;
    const now = this.#clock.now();
    this.#advance(now);
    const s = this.#s;
    if (s.name !== 'half-open' || permit.gen !== s.gen) return;
    this.#s = transition(s, PROBE_RELEASED, now, this.config, this.#random);
    this.#probes.giveBack(s.gen);
  }

  /**
   * Opens a closed breaker on outside evidence (`reason` says which); no effect in any other state.
   * @returns whether it opened
   */
  trip(reason: string): boolean {
    const now = this.#clock.now();
    this.#advance(now);
    if (this.#s.name !== 'closed') return false;
    this.#set(transition(this.#s, { type: 'trip', reason }, now, this.config, this.#random), now);
    return true;
  }

  /**
   * Forces the breaker open for `forMs` ms; afterwards it goes half-open and probes.
   * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` unless 0 < forMs ≤ `maxForceMs`
   */
  forceOpen(forMs: number, reason = 'forced open by operator'): void {
    this.#force('open', forMs, reason);
  }

  /**
   * Forces the breaker closed (nothing trips it) for `forMs` ms; afterwards it is closed.
   * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` unless 0 < forMs ≤ `maxForceMs`
   */
  forceClose(forMs: number, reason = 'forced closed by operator'): void {
    this.#force('closed', forMs, reason);
  }

  /** Ends a forced state early (forced open → half-open, forced closed → closed); no effect otherwise. */
  clearForce(reason = 'force cleared by operator'): void {
    const now = this.#clock.now();
    this.#advance(now);
    this.#set(transition(this.#s, { type: 'clear-force', reason }, now, this.config, this.#random), now);
  }

  /** Point-in-time view; O(1) in the number of calls. */
  snapshot(): BreakerSnapshot {
    const now = this.#clock.now();
    this.#advance(now);
    const s = this.#s;
    const w = this.#window.counts(now);
    return {
      id: this.id,
      state: s.name,
      since: s.since,
      reason: s.reason,
      k: effectiveK(s, now, this.config),
      until: s.name === 'closed' || s.name === 'half-open' ? undefined : s.until,
      calls: w.calls,
      errors: w.errors,
      slow: w.slow,
      errorRatio: w.calls === 0 ? 0 : w.errors / w.calls,
      slowRatio: w.calls === 0 ? 0 : w.slow / w.calls,
      probesAdmitted: s.name === 'half-open' ? s.admitted : 0,
      probeSuccesses: s.name === 'half-open' ? s.successes : 0,
    };
  }

  /**
   * Latency at quantile `q` over the window, ms (histogram bucket upper bound).
   * @param q quantile in [0, 1]
   */
  latencyQuantileMs(q: number): number {
    return this.#window.quantile(this.#clock.now(), q);
  }

  /** A plain, JSON-safe copy of the state and the window. */
  toJSON(): BreakerJSON {
    return { v: 1, id: this.id, state: this.#s, window: this.#window.toJSON() };
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). No listener, no cost. */
  on<K extends keyof BreakerEvents & string>(name: K, listener: Listener<BreakerEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** Cancels the pending timer; the breaker still answers, evaluating time lazily. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #outcome(latencyMs: number, permit: Permit, error: boolean): void {
    if (permit.breakerId !== this.id) return;
    const now = this.#clock.now();
    if (this.#s.name !== 'closed') this.#advance(now);
    const s = this.#s;
    if (permit.gen !== s.gen) return;
    const timedOut = Number.isNaN(latencyMs);
    const slow = latencyMs >= this.config.slowCallMs;
    if (permit.probe) {
      const input: BreakerInput =
        error || slow
          ? { type: 'probe-failure', reason: timedOut ? 'probe timed out' : `probe ${error ? 'failed' : 'slow'} after ${latencyMs} ms` }
          : PROBE_SUCCESS;
      this.#set(transition(s, input, now, this.config, this.#random), now);
      return;
    }
    this.#window.record(now, latencyMs, error, slow);
    if (error) {
      this.#streak = now - this.#streakAt > this.config.windowMs ? 1 : this.#streak + 1;
      this.#streakAt = now;
    } else this.#streak = 0;
    if (s.name !== 'closed' || !this.#autoTrip) return;
    const reason = tripReason(this.#window, this.config) ?? this.#streakReason();
    if (reason !== null) this.#set(transition(s, { type: 'trip', reason }, now, this.config, this.#random), now);
  }

  /** The streak rule: below `minCalls`, `failureStreak` failures in a row (see {@link BreakerConfig.failureStreak}). */
  #streakReason(): string | null {
    const n = this.config.failureStreak;
    if (n === 0 || this.#streak < n || this.#window.calls >= this.config.minCalls) return null;
    return `${this.#streak} failures in a row (none answered between them, each within ${this.config.windowMs} ms of the last) with ${this.#window.calls} < ${this.config.minCalls} calls in the window`;
  }

  #tryProbe(s: HalfOpenState): Permit | null {
    if (s.admitted >= this.config.probes) return null;
    if (!this.#probes.tryTake(this.id, s.gen, s.trial, this.config.probes, this.config.halfOpenMaxMs)) return null;
    return this.#admitProbe(s);
  }

  #admitProbe(s: HalfOpenState): Permit {
    this.#s = transition(s, PROBE_ADMITTED, this.#clock.now(), this.config, this.#random);
    return Object.freeze({ breakerId: this.id, gen: s.gen, probe: true });
  }

  #force(mode: 'open' | 'closed', forMs: number, reason: string): void {
    if (typeof forMs !== 'number' || !(forMs > 0) || forMs > this.config.maxForceMs) {
      throw controlError('SLUICE_ERR_CONTROL_OVERRIDE_INVALID', `forMs must be > 0 and ≤ ${this.config.maxForceMs} ms (got ${forMs})`);
    }
    const now = this.#clock.now();
    this.#advance(now);
    this.#set(transition(this.#s, { type: 'force', mode, until: now + forMs, reason }, now, this.config, this.#random), now);
  }

  #advance(now: number): void {
    for (let i = 0; i < 4; i++) {
      const next = transition(this.#s, TICK, now, this.config, this.#random);
      if (next === this.#s) return;
      this.#set(next, now);
    }
  }

  #set(next: BreakerState, now: number): void {
    const prev = this.#s;
    if (next === prev) return;
    this.#s = next;
    if (next.gen === prev.gen) return;
    this.#probes.reset(next.gen);
    this.#streak = 0;
    this.#closedPermit = Object.freeze({ breakerId: this.id, gen: next.gen, probe: false });
    if (next.name === 'closed' && prev.name === 'half-open') this.#window.reset();
    this.#schedule(now);
    if (this.#events.has('transition')) {
      this.#events.emit('transition', {
        breakerId: this.id,
        from: prev.name,
        to: next.name,
        reason: next.reason,
        at: now,
        k: next.k,
        ...(next.name === 'open' || next.name === 'forced-open' || next.name === 'forced-closed' ? { until: next.until } : {}),
      });
    }
  }

  #schedule(now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#disposed) return;
    const due = deadline(this.#s, this.config);
    if (due === undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const before = this.#s;
      this.#advance(this.#clock.now());
      if (this.#s === before) this.#schedule(this.#clock.now());
    }, due - now);
  }
}
