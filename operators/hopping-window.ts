import type { OperatorFunction } from 'rxjs';
import { checkNumber, checkRule } from './errors.js';
import { checkKeyedOptions, paneWindows, type KeyedWindowOptions } from './pane-windows.js';
import type { StreamElement, WindowResult } from './types.js';

/** Options of {@link hoppingWindow}. */
export interface HoppingWindowOptions<T, K, A, R> extends KeyedWindowOptions<T, K, A, R> {
  /** Window length, ms. */
  readonly sizeMs: number;
  /** Distance between window starts, ms; at most `sizeMs`. Windows start at multiples of it. */
  readonly slideMs: number;
}

/** Greatest common divisor of two positive integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Keyed, overlapping event-time windows of `sizeMs` starting every `slideMs`.
 * Events are folded once into panes of gcd(size, slide) ms; each window is the
 * merge of its panes, so an event costs the same whatever the overlap. Results,
 * lateness and state lifetime as in {@link tumblingWindow}.
 */
export function hoppingWindow<T, K, A, R>(
  options: HoppingWindowOptions<T, K, A, R>,
): OperatorFunction<StreamElement<T>, WindowResult<K, R>> {
  checkKeyedOptions(options);
  const size = checkNumber('sizeMs', options.sizeMs, { int: true, min: 1 });
  const slide = checkNumber('slideMs', options.slideMs, { int: true, min: 1 });
  checkRule(slide <= size, 'slideMs', `≤ sizeMs (${size})`, slide);
  const pane = gcd(size, slide);
  return paneWindows(pane, [{ size: size / pane, slide: slide / pane }], options);
}
