import type { Migration } from '../../adapters/clickhouse/migrations.js';

/** Raw event and dead-letter retention, days (`CLICKHOUSE_TTL_DAYS`). */
export interface SchemaOptions {
  rawTtlDays: number;
}

/**
 * Versioned ClickHouse schema of the pipelines. Raw events are deduplicated by id
 * (ReplacingMergeTree, read with FINAL); window rows keep the highest version per key; retried
 * inserts with the same token are dropped (`non_replicated_deduplication_window`).
 */
export function telemetryMigrations(opts: SchemaOptions): Migration[] {
  const dedup = 'non_replicated_deduplication_window = 10000';
  return [
    {
      version: 1,
      name: 'raw events, skill-group minutes, dead letters',
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
  ];
}
