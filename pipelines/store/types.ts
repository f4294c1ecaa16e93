import type { AgentWindowRow } from '../agent/rows.js';
import type { Source, TelemetryEvent } from '../events/types.js';
import type { ExtensionWindowRow } from '../extension/rows.js';
import type { IntervalReportRow } from '../interval/rows.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import type {
  AgentInterval,
  AgentIntervalQuery,
  ReconcileQuery,
  ReconciliationRow,
  SkillGroupInterval,
  SkillGroupIntervalQuery,
} from './reports.js';

export type {
  AgentInterval,
  AgentIntervalQuery,
  ReconcileQuery,
  ReconciliationRow,
  SkillGroupInterval,
  SkillGroupIntervalQuery,
} from './reports.js';

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

/** Query for {@link TelemetryQueries.minutes}. Times are epoch ms, `from` inclusive, `to` exclusive. */
export interface MinuteQuery {
  tenant: string;
  from: number;
  to: number;
  skillGroup?: string;
}

/** Query of stored state windows (agents, extensions): window starts in [from, to) (epoch ms), of one size. */
export interface StateWindowQuery {
  tenant: string;
  from: number;
  to: number;
  /** 60 (default), 900 or 1800. */
  windowSec?: number;
}

/** Query of stored vendor interval reports: interval starts in [from, to) (epoch ms). */
export interface IntervalReportQuery {
  tenant: string;
  from: number;
  to: number;
  scope?: 'skillgroup' | 'agent';
  key?: string;
}

/**
 * What the pipelines write (the worker, the partitions, the dead-letter sink). Writes are idempotent: an
 * insert retried with the same `token` is applied once (a row upsert without one takes its rows' content
 * as its token), raw events are deduplicated by id, and a window row replaces any row of the same key
 * with a lower version.
 */
export interface TelemetryWriter {
  /**
   * Stores raw events, deduplicated by id. `received`, when given, holds the JSON bytes each event was
   * decoded from (same order): a store may keep those as received instead of encoding the events again.
   */
  insertEvents(events: TelemetryEvent[], token: string, received?: readonly Uint8Array[]): Promise<void>;
  upsertMinutes(rows: MinuteRow[], token?: string): Promise<void>;
  insertDeadLetters(rows: DeadLetter[], token: string): Promise<void>;
  upsertAgentWindows(rows: AgentWindowRow[], token?: string): Promise<void>;
  upsertExtensionWindows(rows: ExtensionWindowRow[], token?: string): Promise<void>;
  /** Vendor reports as received; a report replaces a stored one of the same interval with a lower version. */
  upsertIntervalReports(rows: IntervalReportRow[], token?: string): Promise<void>;
}

/** What the real-time and reports routes read: the latest version of each stored row, and reports computed from them. */
export interface TelemetryQueries {
  /** Latest version of each minute row in the range, ordered by skill group then time. */
  minutes(q: MinuteQuery): Promise<MinuteRow[]>;
  /** Latest version of each agent window row, ordered by agent then time. */
  agentWindows(q: StateWindowQuery & { agentId?: string }): Promise<AgentWindowRow[]>;
  /** Latest version of each extension window row, ordered by extension then time. */
  extensionWindows(q: StateWindowQuery & { extension?: string }): Promise<ExtensionWindowRow[]>;
  /** Latest report of each interval, ordered by scope, key, interval start, interval length. */
  intervalReports(q: IntervalReportQuery): Promise<IntervalReportRow[]>;
  /** Sluice's own 15/30-minute skill-group figures: sums of the minute rows over each interval, ordered by skill group then time. */
  skillGroupIntervals(q: SkillGroupIntervalQuery): Promise<SkillGroupInterval[]>;
  /** Agents' 15/30-minute figures: sums of their 1-minute rows over each interval, ordered by agent then time. */
  agentIntervals(q: AgentIntervalQuery): Promise<AgentInterval[]>;
  /** Each vendor skill-group interval report beside Sluice's own sums for that interval, ordered by skill group, time, length. */
  reconcileIntervals(q: ReconcileQuery): Promise<ReconciliationRow[]>;
  /** Distinct raw events stored for a tenant (and source). */
  countEvents(tenant: string, source?: Source): Promise<number>;
  /** Most recent dead letters first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
}

/**
 * Where the pipelines keep what they compute: both ports over one database, and its close. ClickHouse is
 * the real store ({@link ClickHouseTelemetryStore}), {@link MemoryTelemetryStore} the twin; the composition
 * root holds one and hands the writer to the worker, the queries to the routes.
 */
export interface TelemetryStore extends TelemetryWriter, TelemetryQueries {
  close(): Promise<void>;
}
