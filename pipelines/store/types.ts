import type { Source, TelemetryEvent } from '../events/types.js';
import type { MinuteRow } from '../skillgroup/rows.js';

/** An input refused by a decoder, kept with its reason and original bytes. */
export interface DeadLetter {
  /** Tenant when it could be read, else empty. */
  tenant: string;
  /** Source topic/format it came from (`skillgroup`, `http`, `asterisk-queue-log`, …). */
  source: string;
  /** Short stable cause: oversized | malformed | schema | timestamp | … */
  code: string;
  reason: string;
  /** Original bytes. */
  payload: Buffer;
  /** Where it was read: `topic:partition:offset`, `http:<request id>:<index>`, … */
  origin: string;
  /** Epoch ms. */
  receivedAt: number;
}

/** Query for {@link TelemetryStore.minutes}. Times are epoch ms, `from` inclusive, `to` exclusive. */
export interface MinuteQuery {
  tenant: string;
  from: number;
  to: number;
  skillGroup?: string;
}

/**
 * Where the pipelines keep what they compute. Writes are idempotent: an insert retried with the same
 * `token` is applied once, raw events are deduplicated by id, and a window row replaces any row of the
 * same key with a lower version. ClickHouse is the real store; {@link MemoryTelemetryStore} the twin.
 */
export interface TelemetryStore {
  insertEvents(events: TelemetryEvent[], token: string): Promise<void>;
  upsertMinutes(rows: MinuteRow[], token: string): Promise<void>;
  insertDeadLetters(rows: DeadLetter[], token: string): Promise<void>;
  /** Latest version of each minute row in the range, ordered by skill group then time. */
  minutes(q: MinuteQuery): Promise<MinuteRow[]>;
  /** Distinct raw events stored for a tenant (and source). */
  countEvents(tenant: string, source?: Source): Promise<number>;
  /** Most recent dead letters first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}
