import type { OperatorFunction } from 'rxjs';
import { checkNumber } from './errors.js';
import { checkKeyedOptions, paneWindows, type KeyedWindowOptions } from './pane-windows.js';
import type { StreamElement, WindowResult } from './types.js';

/** Options of {@link tumblingWindow}. */
export interface TumblingWindowOptions<T, K, A, R> extends KeyedWindowOptions<T, K, A, R> {
  /** Window length, ms; windows are aligned to the epoch: `[k·sizeMs, (k+1)·sizeMs)`. */
  readonly sizeMs: number;
}

/**
 * Keyed, fixed-size, non-overlapping event-time windows. Emits one `final`
 * result per key and window when the watermark passes the window end, `update`s
 * for late events within the allowed lateness, optional `early` results, and
 * diverts later events to `late`. State is one accumulator per key and window,
 * freed when the watermark passes end + lateness.
 *
 * @example
 * // events and watermarks, e.g. one watermark per fetched batch
 * elements$.pipe(tumblingWindow({ sizeMs: 60_000, key: (e) => e.id, aggregate: count(), allowedLatenessMs: 600_000, late }))
 */
export function tumblingWindow<T, K, A, R>(
  options: TumblingWindowOptions<T, K, A, R>,
): OperatorFunction<StreamElement<T>, WindowResult<K, R>> {
  checkKeyedOptions(options);
  const size = checkNumber('sizeMs', options.sizeMs, { int: true, min: 1 });
  return paneWindows(size, [{ size: 1, slide: 1 }], options);
}
