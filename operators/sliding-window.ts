import type { OperatorFunction } from 'rxjs';
import { checkNumber, checkRule } from './errors.js';
import { checkKeyedOptions, paneWindows, type KeyedWindowOptions } from './pane-windows.js';
import type { StreamElement, WindowResult } from './types.js';

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions<T, K, A, R> extends KeyedWindowOptions<T, K, A, R> {
  /** Pane length, ms: a result is computed at every pane boundary. */
  readonly paneMs: number;
  /**
   * Window length(s), ms, each a multiple of `paneMs`. Several lengths share
   * one pane state: `[300_000, 3_600_000]` over 60 000 ms panes yields the
   * last-5-minutes and last-60-minutes figures (tell them apart by
   * `windowEnd − windowStart`).
   */
  readonly sizeMs: number | readonly number[];
}

/**
 * "The last N minutes, as of every pane boundary", for one or more N, keyed.
 * Built from panes: each event is aggregated once into its pane, and a window
 * result merges the panes it covers instead of re-scanning events. A key keeps
 * producing results until its last pane slides out of the window. Results,
 * lateness and state lifetime as in {@link tumblingWindow}.
 *
 * @example
 * slidingWindow({ paneMs: 60_000, sizeMs: [300_000, 3_600_000], key, aggregate: mean((r) => r.latencyMs) })
 */
export function slidingWindow<T, K, A, R>(
  options: SlidingWindowOptions<T, K, A, R>,
): OperatorFunction<StreamElement<T>, WindowResult<K, R>> {
  checkKeyedOptions(options);
  const pane = checkNumber('paneMs', options.paneMs, { int: true, min: 1 });
  const sizes = typeof options.sizeMs === 'number' ? [options.sizeMs] : [...options.sizeMs];
  checkRule(sizes.length > 0, 'sizeMs', 'a size or a non-empty list of sizes', options.sizeMs);
  for (const size of sizes) {
    checkNumber('sizeMs', size, { int: true, min: pane });
    checkRule(size % pane === 0, 'sizeMs', `a multiple of paneMs (${pane})`, size);
  }
  return paneWindows(
    pane,
    sizes.map((size) => ({ size: size / pane, slide: 1 })),
    options,
  );
}
