/**
 * The element model shared by every operator in this folder.
 *
 * A stream carries two kinds of element: data ({@link EventElement}) and
 * progress ({@link WatermarkElement}). Both are plain objects tagged by `kind`,
 * so a pipeline can build them without importing anything, and operators tell
 * them apart with one string comparison.
 */

/** A value observed at an event time. */
export interface EventElement<T> {
  readonly kind: 'event';
  readonly value: T;
  /** Event time: when it happened at the source, epoch milliseconds. */
  readonly ts: number;
}

/**
 * Event-time progress: the stream declares that every event with
 * `ts <= watermark.ts` has arrived. A window `[start, end)` is therefore
 * complete once a watermark `>= end - 1` has passed. Watermarks never go
 * backwards; operators ignore one that does.
 */
export interface WatermarkElement {
  readonly kind: 'watermark';
  /** Event time reached, epoch milliseconds. */
  readonly ts: number;
}

/** One element of an event-time stream: data or a watermark. */
export type StreamElement<T> = EventElement<T> | WatermarkElement;

/**
 * Builds an {@link EventElement}.
 * @param value the payload
 * @param ts event time, epoch ms
 */
export function event<T>(value: T, ts: number): EventElement<T> {
  return { kind: 'event', value, ts };
}

/**
 * Builds a {@link WatermarkElement}.
 * @param ts event time reached, epoch ms
 */
export function watermark(ts: number): WatermarkElement {
  return { kind: 'watermark', ts };
}

/** True when the element is a watermark (narrows the type). */
export function isWatermark<T>(element: StreamElement<T>): element is WatermarkElement {
  return element.kind === 'watermark';
}

/**
 * Why a window result was emitted:
 * - `early`: before the window completed (periodic early firing); not final.
 * - `final`: the watermark passed the window end; the first complete result.
 * - `update`: a late event inside the allowed lateness changed a window that
 *   had already been emitted as final (or was already complete); it replaces
 *   the earlier result.
 */
export type WindowEmitKind = 'early' | 'final' | 'update';

/** The aggregate of one key over one window, as emitted by the window operators. */
export interface WindowResult<K, R> {
  readonly key: K;
  /** Inclusive window start, epoch ms. */
  readonly windowStart: number;
  /** Exclusive window end, epoch ms. */
  readonly windowEnd: number;
  /** The aggregator's result for this key and window. */
  readonly value: R;
  /** Number of events aggregated into this result. */
  readonly count: number;
  /**
   * Strictly increasing per (key, window): `2 × count + (final ? 1 : 0)`.
   * Derived from the content, not from a counter, so a replay that rebuilds a
   * window from the same events emits the same version, and a store that keeps
   * the highest version (e.g. ClickHouse ReplacingMergeTree) keeps the newest
   * correction.
   */
  readonly version: number;
  /** True for `final` and `update` results: the watermark has passed the window end. */
  readonly final: boolean;
  readonly kind: WindowEmitKind;
}
