/**
 * The control loop: every tick, read signals per scope, score the pressure and
 * step the level. Ports in, events out; no I/O of its own. A scope whose
 * signals are missing or whose read throws keeps its level (fail-static).
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import { Emitter } from '../../core/emitter.js';
import type { Emits, Listener } from '../../core/emitter.js';
import { checkNumber } from '../errors.js';
import type { LevelController, Scope } from './controller.js';
import type { LevelChange } from './machine.js';
import { assessPressure, resolvePressureConfig } from './pressure.js';
import type { PressureConfig, PressureReading, Signals } from './pressure.js';

/** Where the loop reads its signals (the lead's adapters implement it). */
export interface SignalSource {
  /** Scopes to evaluate this tick. */
  scopes(): Iterable<Scope>;
  /** Latest signals of `scope`, or undefined when unknown. */
  read(scope: Scope): Signals | undefined;
}

/** Payload of the `tick` event. */
export interface LoopTick {
  /** Epoch ms. */
  readonly at: number;
  readonly readings: readonly { readonly scope: Scope; readonly pressure: PressureReading }[];
  readonly changes: readonly LevelChange[];
}

/** Events the loop emits. */
export interface LoopEvents {
  tick: LoopTick;
  'source-error': { readonly scope: Scope; readonly error: unknown; readonly at: number };
}

/** Construction options. */
export interface ControlLoopOptions {
  readonly source: SignalSource;
  readonly controller: LevelController;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Tick period, ms (default 1000). */
  readonly tickMs?: number;
  /** Pressure config per tenant (default: {@link resolvePressureConfig}() for all). */
  readonly pressureFor?: (tenant: string) => PressureConfig;
}

/** See the module comment. */
export class ControlLoop implements Emits<LoopEvents> {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #source: SignalSource;
  readonly #controller: LevelController;
  readonly #pressureFor: (tenant: string) => PressureConfig;
  readonly #events = new Emitter<LoopEvents>();
  #timer: TimerHandle | undefined;
  #next = 0;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` when tickMs is not a positive integer */
  constructor(options: ControlLoopOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#tickMs = checkNumber('loop.tickMs', options.tickMs ?? 1_000, { int: true, min: 1 });
    this.#source = options.source;
    this.#controller = options.controller;
    const shared = resolvePressureConfig();
    this.#pressureFor = options.pressureFor ?? (() => shared);
  }

  /** Starts ticking every `tickMs`, on a fixed grid (no drift). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#next = this.#clock.now() + this.#tickMs;
    this.#arm();
  }

  /** Stops ticking. Idempotent. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Runs one tick now; returns the level changes it caused. */
  tick(): LevelChange[] {
    const at = this.#clock.now();
    const changes: LevelChange[] = [];
    const readings: { scope: Scope; pressure: PressureReading }[] = [];
    for (const scope of this.#source.scopes()) {
      let signals: Signals | undefined;
      let pressure: PressureReading;
      try {
        signals = this.#source.read(scope);
        if (signals === undefined) continue;
        pressure = assessPressure(signals, this.#pressureFor(scope.tenant));
      } catch (error) {
        this.#events.emit('source-error', { scope, error, at });
        continue;
      }
      if (pressure.present === 0) continue;
      readings.push({ scope, pressure });
      const change = this.#controller.tick(scope, pressure.score, pressure.top === null ? undefined : `top signal: ${pressure.top}`);
      if (change !== null) changes.push(change);
    }
    if (this.#events.has('tick')) this.#events.emit('tick', { at, readings, changes });
    return changes;
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). No listener, no cost. */
  on<K extends keyof LoopEvents & string>(name: K, listener: Listener<LoopEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.tick();
      this.#next += this.#tickMs;
      const now = this.#clock.now();
      if (this.#next <= now) this.#next = now + this.#tickMs;
      if (this.#timer !== undefined) this.#arm();
    }, this.#next - this.#clock.now());
  }
}
