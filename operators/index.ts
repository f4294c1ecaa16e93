/**
 * Generic event-time stream operators for RxJS: keyed windows (tumbling,
 * sliding) with allowed lateness and a late side output, mergeable
 * aggregators, dedup, and a reader of the state they hold.
 * See README.md for the model.
 */
export { event, isWatermark, watermark } from './types.js';
export type { EventElement, StreamElement, WatermarkElement, WindowEmitKind, WindowResult } from './types.js';
export { OPERATOR_ERROR_CODES, operatorError } from './errors.js';
export type { OperatorErrorCode } from './errors.js';
export { LateOutput } from './late-output.js';
export type { LateEvent } from './late-output.js';
export { aggregateAll, count, max, mean, min, sum } from './aggregators.js';
export type { Aggregator, AggregatorRecord, MeanAcc, ResultOf } from './aggregators.js';
export type { KeyedWindowOptions } from './pane-windows.js';
export { stateTotal } from './state-probe.js';
export type { StateProbe, StateTotal } from './state-probe.js';
export { tumblingWindow } from './tumbling-window.js';
export type { TumblingWindowOptions } from './tumbling-window.js';
export { slidingWindow } from './sliding-window.js';
export type { SlidingWindowOptions } from './sliding-window.js';
export { dedupById } from './dedup.js';
export type { DedupOptions } from './dedup.js';
