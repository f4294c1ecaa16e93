/**
 * The traffic model's public face: a seeded run that streams normalized telemetry events of all four
 * sources in event-time order, and a summary of the parameters it realised.
 *
 * @example
 * ```ts
 * const run = new TrafficSimulation(buildScenario({ seed: 7, start, minutes: 60 }));
 * for (const event of run) publish(event);
 * console.log(run.summary().totals);
 * ```
 */
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { resolveConfig, type ResolvedConfig, type TrafficConfig } from './config.js';
import { TrafficEngine } from './engine.js';
import { summarise, type TrafficSummary } from './summary.js';

/**
 * One run of the traffic model. Iterate it once: it yields events lazily (memory stays bounded by the
 * calls in the system, not by the length of the run). The same configuration and seed give the same
 * events, ids included, byte for byte.
 */
export class TrafficSimulation implements Iterable<TelemetryEvent> {
  /** The configuration with its defaults filled in. */
  readonly config: ResolvedConfig;
  readonly #engine: TrafficEngine;
  #iterated = false;

  /** @throws RangeError naming the field when the configuration is invalid */
  constructor(config: TrafficConfig) {
    this.config = resolveConfig(config);
    this.#engine = new TrafficEngine(this.config);
  }

  /** Yields every event of the run, in event-time order. @throws Error when iterated a second time */
  *[Symbol.iterator](): Generator<TelemetryEvent, void, undefined> {
    if (this.#iterated) throw new Error('a TrafficSimulation runs once: create another for a second pass');
    this.#iterated = true;
    for (;;) {
      const events = this.#engine.step();
      if (!events) return;
      yield* events;
    }
  }

  /** What the run holds in memory now (scheduled items, queue slots): bounded by the calls in the system, not by the run's length. */
  footprint(): { scheduled: number; queueSlots: number } {
    return this.#engine.footprint();
  }

  /** What the run realised so far (complete once the iteration is over). */
  summary(): TrafficSummary {
    return summarise(this.config, this.#engine.tenants, this.#engine.counts);
  }
}

/** Groups a stream into arrays of at most `size` events (the last one may be shorter). */
export function* batches<T>(items: Iterable<T>, size: number): Generator<T[], void, undefined> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a whole number ≥ 1, got ${size}`);
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
