import type { Migration } from '../../adapters/clickhouse/migrations.js';
import type { MinuteRow } from '../skillgroup/rows.js';

/** Raw event and dead-letter retention, days (`CLICKHOUSE_TTL_DAYS`). */
export interface SchemaOptions {
  rawTtlDays: number;
}

/**
 * How a column is read back and summed: `text` a string; `time` epoch ms (a `DateTime64(3)`); `number` a
 * plain number; `flag` a boolean (a `UInt8`); `sum` and `max` numbers an interval adds up or takes the
 * maximum of.
 */
export type ColumnKind = 'text' | 'time' | 'number' | 'flag' | 'sum' | 'max';

/** One column of a table: its name in ClickHouse, the row field it holds, and its {@link ColumnKind}. */
export interface ColumnSpec<F extends string = string> {
  readonly column: string;
  readonly field: F;
  readonly kind: ColumnKind;
}

/**
 * The columns of `skillgroup_minute` a {@link MinuteRow} fills, in insert order: the one list the insert's
 * column list, the SELECT of minute rows, the interval sums (SQL and memory) and the number fields are made
 * from. The positional tuple of the hot path (`minuteTuple` in clickhouse.ts) is checked against it by
 * schema.test.ts.
 */
export const MINUTE_COLUMNS = [
  { column: 'tenant', field: 'tenant', kind: 'text' },
  { column: 'skill_group', field: 'skillGroup', kind: 'text' },
  { column: 'window_start', field: 'windowStart', kind: 'time' },
  { column: 'version', field: 'version', kind: 'number' },
  { column: 'final', field: 'final', kind: 'flag' },
  { column: 'offered', field: 'offered', kind: 'sum' },
  { column: 'answered', field: 'answered', kind: 'sum' },
  { column: 'answered_within_sl', field: 'answeredWithinSl', kind: 'sum' },
  { column: 'answer_wait_ms', field: 'answerWaitMs', kind: 'sum' },
  { column: 'abandoned', field: 'abandoned', kind: 'sum' },
  { column: 'abandoned_within_sl', field: 'abandonedWithinSl', kind: 'sum' },
  { column: 'short_abandons', field: 'shortAbandons', kind: 'sum' },
  { column: 'abandon_wait_ms', field: 'abandonWaitMs', kind: 'sum' },
  { column: 'overflowed', field: 'overflowed', kind: 'sum' },
  { column: 'max_wait_ms', field: 'maxWaitMs', kind: 'max' },
  { column: 'handled', field: 'handled', kind: 'sum' },
  { column: 'transferred', field: 'transferred', kind: 'sum' },
  { column: 'talk_ms', field: 'talkMs', kind: 'sum' },
  { column: 'hold_ms', field: 'holdMs', kind: 'sum' },
  { column: 'acw_ms', field: 'acwMs', kind: 'sum' },
  { column: 'service_level_ms', field: 'serviceLevelMs', kind: 'max' },
  { column: 'short_abandon_ms', field: 'shortAbandonMs', kind: 'max' },
] as const satisfies readonly ColumnSpec<keyof MinuteRow>[];

/** The fields of {@link MINUTE_COLUMNS} of one kind. */
export type MinuteFieldOf<K extends ColumnKind> = Extract<(typeof MINUTE_COLUMNS)[number], { kind: K }>['field'];

/** The fields of {@link MINUTE_COLUMNS} of the given kinds, in column order. */
export function minuteFields<K extends ColumnKind>(...kinds: K[]): readonly MinuteFieldOf<K>[] {
  const wanted: readonly ColumnKind[] = kinds;
  return MINUTE_COLUMNS.filter((c) => wanted.includes(c.kind)).map((c) => c.field as MinuteFieldOf<K>);
}

/** `available_ms UInt64, ringing_ms UInt64, …`: one column per state. */
function stateColumns(states: string[], suffix: string, type: string): string {
  return states.map((s) => `${s}_${suffix} ${type}`).join(', ');
}

/**
 * Versioned ClickHouse schema of the pipelines. Raw events are deduplicated by id
 * (ReplacingMergeTree, read with FINAL); window rows keep the highest version per key; retried
 * inserts with the same token are dropped (`non_replicated_deduplication_window`). Raw input (events,
 * dead letters, vendor interval reports) expires after `rawTtlDays`; computed window rows do not.
 */
export function telemetryMigrations(opts: SchemaOptions): Migration[] {
  const dedup = 'non_replicated_deduplication_window = 10000';
  return [
    {
      version: 1,
      name: 'raw events, skill-group minutes, dead letters',
      // On a cluster, rows one ReplacingMergeTree key merges (and a retried insert's rows) share a shard.
      shardBy: {
        events_raw: 'cityHash64(tenant, id)',
        skillgroup_minute: 'cityHash64(tenant, skill_group)',
        dead_letters: 'cityHash64(origin)',
      },
      sql: [
        `CREATE TABLE IF NOT EXISTS {db}.events_raw{onCluster} (
          tenant LowCardinality(String), source LowCardinality(String), id String,
          ts DateTime64(3, 'UTC'), entity String, type LowCardinality(String), body String,
          ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree
        PARTITION BY toYYYYMM(ts) ORDER BY (tenant, source, id)
        TTL toDateTime(ts) + INTERVAL ${opts.rawTtlDays} DAY
        SETTINGS ${dedup}`,
        `CREATE TABLE IF NOT EXISTS {db}.skillgroup_minute{onCluster} (
          tenant LowCardinality(String), skill_group String, window_start DateTime64(3, 'UTC'),
          offered UInt32, answered UInt32, abandoned UInt32, version UInt64, final UInt8,
          updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(window_start) ORDER BY (tenant, skill_group, window_start)
        SETTINGS ${dedup}`,
        `CREATE TABLE IF NOT EXISTS {db}.dead_letters{onCluster} (
          tenant LowCardinality(String), source LowCardinality(String), code LowCardinality(String),
          reason String, payload_base64 String, origin String, received_at DateTime64(3, 'UTC')
        ) ENGINE = MergeTree
        PARTITION BY toYYYYMM(received_at) ORDER BY (received_at, origin)
        TTL toDateTime(received_at) + INTERVAL ${opts.rawTtlDays} DAY
        SETTINGS ${dedup}`,
      ],
    },
    {
      version: 2,
      name: 'skill-group minutes keep every raw sum (service level, waits, handle time, exits)',
      sql: [
        `ALTER TABLE {db}.skillgroup_minute{onCluster}
          ADD COLUMN IF NOT EXISTS answered_within_sl UInt32 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS answer_wait_ms UInt64 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS abandoned_within_sl UInt32 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS short_abandons UInt32 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS abandon_wait_ms UInt64 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS overflowed UInt32 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS max_wait_ms UInt64 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS handled UInt32 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS transferred UInt32 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS talk_ms UInt64 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS hold_ms UInt64 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS acw_ms UInt64 DEFAULT 0,
          ADD COLUMN IF NOT EXISTS service_level_ms UInt32 DEFAULT 20000,
          ADD COLUMN IF NOT EXISTS short_abandon_ms UInt32 DEFAULT 5000`,
      ],
    },
    {
      version: 3,
      name: 'agent and extension state windows (1 minute and 15/30-minute intervals)',
      shardBy: { agent_window: 'cityHash64(tenant, agent_id)', extension_window: 'cityHash64(tenant, extension)' },
      sql: [
        `CREATE TABLE IF NOT EXISTS {db}.agent_window{onCluster} (
          tenant LowCardinality(String), agent_id String, window_sec UInt32, window_start DateTime64(3, 'UTC'),
          version UInt64, final UInt8,
          ${stateColumns(['available', 'ringing', 'on_call', 'hold', 'acw', 'aux'], 'ms', 'UInt64')},
          aux_ms_by_reason Map(String, UInt64),
          ${stateColumns(['logged_out', 'available', 'ringing', 'on_call', 'hold', 'acw', 'aux'], 'entries', 'UInt32')},
          updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(window_start) ORDER BY (tenant, window_sec, agent_id, window_start)
        SETTINGS ${dedup}`,
        `CREATE TABLE IF NOT EXISTS {db}.extension_window{onCluster} (
          tenant LowCardinality(String), extension String, window_sec UInt32, window_start DateTime64(3, 'UTC'),
          version UInt64, final UInt8,
          ${stateColumns(['idle', 'ringing', 'busy', 'unavailable', 'dnd'], 'ms', 'UInt64')},
          ${stateColumns(['idle', 'ringing', 'busy', 'unavailable', 'dnd'], 'entries', 'UInt32')},
          updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(window_start) ORDER BY (tenant, window_sec, extension, window_start)
        SETTINGS ${dedup}`,
      ],
    },
    {
      version: 4,
      name: 'vendor interval reports as received (a resent report replaces)',
      shardBy: { interval_report: 'cityHash64(tenant, scope, key)' },
      sql: [
        `CREATE TABLE IF NOT EXISTS {db}.interval_report{onCluster} (
          tenant LowCardinality(String), scope LowCardinality(String), key String,
          interval_start DateTime64(3, 'UTC'), interval_sec UInt32, version UInt64,
          counters Map(String, Float64), event_id String,
          received_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY toYYYYMM(interval_start) ORDER BY (tenant, scope, key, interval_start, interval_sec)
        TTL toDateTime(interval_start) + INTERVAL ${opts.rawTtlDays} DAY
        SETTINGS ${dedup}`,
      ],
    },
    {
      version: 5,
      name: 'raw events: ClickHouse reads the entity and type from the body, so events are stored as received',
      sql: [
        `ALTER TABLE {db}.events_raw{onCluster}
          MODIFY COLUMN entity String DEFAULT ${RAW_ENTITY},
          MODIFY COLUMN type LowCardinality(String) DEFAULT ${RAW_TYPE}`,
      ],
    },
  ];
}

/** The entity of a raw event (what its windows are keyed by; `entityOf` in JavaScript), from its body. */
const RAW_ENTITY = `multiIf(source = 'agent', JSONExtractString(body, 'agentId'), source = 'extension', JSONExtractString(body, 'extension'),
  source = 'skillgroup', JSONExtractString(body, 'skillGroup'), concat(JSONExtractString(body, 'scope'), ':', JSONExtractString(body, 'key')))`;
/** The type of a raw event: the agent or extension state, the skill-group event type, the report's interval length. */
const RAW_TYPE = `multiIf(source IN ('agent', 'extension'), JSONExtractString(body, 'state'), source = 'skillgroup', JSONExtractString(body, 'type'),
  toString(JSONExtractUInt(body, 'intervalSec')))`;
