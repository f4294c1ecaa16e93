/**
 * The decision and level-change log: a port with a non-blocking `append`, an
 * async writer behind it (ClickHouse, or memory), and the record shapes.
 */
import type { BufferedInsertStats, InsertGuard } from '../../adapters/clickhouse/buffered-insert.js';
import type { LevelChangeKind } from '../levels/machine.js';
import type { RouteTarget } from '../routing-table.js';
import type { Level, Priority } from '../types.js';

/** One routing decision. */
export interface DecisionRecord {
  readonly kind: 'decision';
  /** Epoch ms. */
  readonly ts: number;
  readonly decisionId: string;
  readonly tenant: string;
  readonly skillGroup: string;
  readonly callId: string;
  readonly priority: Priority;
  /** The caller's intent as the IVR reported it ('' when none). */
  readonly intent: string;
  readonly target: RouteTarget;
  readonly ctiNode: string | undefined;
  readonly level: Level;
  readonly reason: string;
  /** Control instance that decided. */
  readonly instance: string;
}

/** One level change (or a pin starting or ending). */
export interface LevelChangeRecord {
  readonly kind: 'level';
  /** Epoch ms. */
  readonly ts: number;
  readonly tenant: string;
  /** Undefined for the tenant scope. */
  readonly skillGroup: string | undefined;
  readonly from: Level;
  readonly to: Level;
  /** What happened (`adopted` is never logged: the leader logs its own changes). */
  readonly change: LevelChangeKind | 'adopted';
  readonly reason: string;
  readonly instance: string;
}

/** Anything the log holds. */
export type ControlLogRecord = DecisionRecord | LevelChangeRecord;

/** Counters of a log (see the buffered insert's counters). */
export type LogStats = BufferedInsertStats;

/** The port: routing appends, never waits. */
export interface DecisionLog {
  /** Buffers one record; never blocks and never throws (a full buffer drops its oldest record). */
  append(record: ControlLogRecord): void;
  /** Writes everything buffered now (tests, shutdown). */
  flush(): Promise<void>;
  /** Starts the periodic flush. Idempotent. */
  start(): void;
  /** Stops the timer and flushes what is left. */
  stop(): Promise<void>;
  stats(): LogStats;
}

/** Writes one batch. Must be idempotent per `token` (a retried batch carries the same token). */
export interface LogWriter {
  write(batch: readonly ControlLogRecord[], token: string): Promise<void>;
}

/** The part of a circuit breaker the writer's guard needs. */
export type WriteGuard<P> = InsertGuard<P>;
