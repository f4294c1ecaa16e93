/**
 * When a closed breaker trips: pure checks over the window counts.
 */
import type { BreakerConfig } from './config.js';
import type { WindowCounts } from './window.js';

/**
 * Why the window says "open", or null when it does not.
 *
 * - with at least `minCalls` calls: error ratio ≥ `errorRatio`, or slow-call ratio ≥ `slowRatio`;
 * - with fewer calls (a quiet channel, where ratios mean little): at least
 *   `errorCount` errors (when `errorCount` > 0).
 *
 * The count rule deliberately stops applying at `minCalls`: on a busy channel a
 * handful of errors is noise, and the ratio rule takes over.
 */
export function tripReason(w: WindowCounts, cfg: BreakerConfig): string | null {
  if (w.calls >= cfg.minCalls) {
    if (w.errors >= cfg.errorRatio * w.calls) {
      return `error ratio ${ratio(w.errors, w.calls)} ≥ ${cfg.errorRatio} over ${w.calls} calls`;
    }
    if (w.slow >= cfg.slowRatio * w.calls) {
      return `slow-call ratio ${ratio(w.slow, w.calls)} ≥ ${cfg.slowRatio} (≥ ${cfg.slowCallMs} ms) over ${w.calls} calls`;
    }
    return null;
  }
  if (cfg.errorCount > 0 && w.errors >= cfg.errorCount) {
    return `${w.errors} errors in ${cfg.windowMs} ms on a quiet channel (${w.calls} < ${cfg.minCalls} calls)`;
  }
  return null;
}

function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}
