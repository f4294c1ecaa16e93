/**
 * Sluice's own health as signals: event-loop lag measured here, consumer lag
 * and ClickHouse insert latency handed in by the composition root.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';

/** Health figures the pipelines expose (functions, read once per control tick). */
export interface EngineHealth {
  /** How far the stream consumers are behind the newest event, ms. */
  consumerLagMs(): number;
  /** Recent ClickHouse insert latency (e.g. p99), ms. */
  insertLatencyMs(): number;
}

/**
 * Event-loop lag from `perf_hooks.monitorEventLoopDelay`: each {@link EventLoopLag.readMs}
 * returns the p99 delay since the previous read and starts a new interval.
 */
export class EventLoopLag {
  readonly #h: IntervalHistogram;
  #on = false;

  /** @param resolutionMs sampling resolution, ms (default 20) */
  constructor(resolutionMs = 20) {
    this.#h = monitorEventLoopDelay({ resolution: resolutionMs });
  }

  /** Starts sampling. Idempotent. */
  start(): void {
    if (this.#on) return;
    this.#h.enable();
    this.#on = true;
  }

  /** Stops sampling. Idempotent. */
  stop(): void {
    if (!this.#on) return;
    this.#h.disable();
    this.#on = false;
  }

  /** p99 event-loop delay since the previous read, ms; NaN before any sample (the signal is then left out). */
  readMs(): number {
    if (!this.#on || this.#h.count === 0) return Number.NaN;
    const p99 = this.#h.percentile(99) / 1e6;
    this.#h.reset();
    return p99;
  }
}
