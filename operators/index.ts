/**
 * Generic event-time stream operators for RxJS: watermarks, keyed windows
 * (tumbling, hopping, sliding, session) with allowed lateness and a late side
 * output, mergeable aggregators, dedup, and batching with backpressure.
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
export { mergeSketch, quantiles, valueAtQuantile } from './quantiles.js';
export type { QuantileOptions, QuantileSummary } from './quantiles.js';
export { withWatermarks } from './watermarks.js';
export type { WatermarkOptions } from './watermarks.js';
export type { KeyedWindowOptions } from './pane-windows.js';
export { stateTotal } from './state-probe.js';
export type { StateProbe, StateTotal } from './state-probe.js';
export { tumblingWindow } from './tumbling-window.js';
export type { TumblingWindowOptions } from './tumbling-window.js';
export { hoppingWindow } from './hopping-window.js';
export type { HoppingWindowOptions } from './hopping-window.js';
export { slidingWindow } from './sliding-window.js';
export type { SlidingWindowOptions } from './sliding-window.js';
export { sessionWindow } from './session-window.js';
export type { SessionWindowOptions } from './session-window.js';
export { dedupById } from './dedup.js';
export type { DedupOptions } from './dedup.js';
export { batch } from './batch.js';
export type { BatchOptions } from './batch.js';
export type { BatchCutOptions } from './batcher.js';
export { batchWrite } from './batch-write.js';
export type { BatchWriteOptions, WrittenBatch } from './batch-write.js';
