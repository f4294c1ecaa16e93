/**
 * The decision log in ClickHouse: tables `route_decisions` and `level_changes`
 * (MergeTree, partitioned by day, TTL), migrated as component `control`. Each
 * batch is one insert per table ({@link insertRows}), each with its own
 * `insert_deduplication_token`, and `non_replicated_deduplication_window` makes a
 * retried batch a no-op.
 */
import { insertRows } from '../../adapters/clickhouse/buffered-insert.js';
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import { migrate } from '../../adapters/clickhouse/migrations.js';
import type { Migration } from '../../adapters/clickhouse/migrations.js';
import { checkNumber } from '../errors.js';
import type { ControlLogRecord, DecisionRecord, LevelChangeRecord, LogWriter } from './types.js';

/** Schema of the control room's tables. */
export function controlMigrations(opts: { ttlDays: number }): Migration[] {
  const ttl = checkNumber('log.ttlDays', opts.ttlDays, { int: true, min: 1 });
  const settings = 'SETTINGS non_replicated_deduplication_window = 10000';
  return [
    {
      version: 1,
      name: 'route decisions and level changes',
      shardBy: { route_decisions: 'cityHash64(tenant, decision_id)', level_changes: 'cityHash64(tenant, skill_group)' },
      sql: [
        `CREATE TABLE IF NOT EXISTS {db}.route_decisions{onCluster} (
          ts DateTime64(3, 'UTC'), decision_id String, tenant LowCardinality(String), skill_group String,
          call_id String, priority LowCardinality(String), intent LowCardinality(String), target LowCardinality(String),
          cti_node LowCardinality(String), level UInt8, reason String, instance LowCardinality(String)
        ) ENGINE = MergeTree
        PARTITION BY toDate(ts) ORDER BY (tenant, ts, decision_id)
        TTL toDateTime(ts) + INTERVAL ${ttl} DAY
        ${settings}`,
        `CREATE TABLE IF NOT EXISTS {db}.level_changes{onCluster} (
          ts DateTime64(3, 'UTC'), tenant LowCardinality(String), skill_group String,
          from_level UInt8, to_level UInt8, change LowCardinality(String), reason String,
          instance LowCardinality(String)
        ) ENGINE = MergeTree
        PARTITION BY toDate(ts) ORDER BY (tenant, skill_group, ts)
        TTL toDateTime(ts) + INTERVAL ${ttl} DAY
        ${settings}`,
      ],
    },
  ];
}

const decisionRow = (r: DecisionRecord) => ({
  ts: r.ts,
  decision_id: r.decisionId,
  tenant: r.tenant,
  skill_group: r.skillGroup,
  call_id: r.callId,
  priority: r.priority,
  intent: r.intent,
  target: r.target,
  cti_node: r.ctiNode ?? '',
  level: r.level,
  reason: r.reason,
  instance: r.instance,
});

const levelRow = (r: LevelChangeRecord) => ({
  ts: r.ts,
  tenant: r.tenant,
  skill_group: r.skillGroup ?? '',
  from_level: r.from,
  to_level: r.to,
  change: r.change,
  reason: r.reason,
  instance: r.instance,
});

/** Writes log batches to ClickHouse. Create with {@link ClickHouseLogWriter.open}, which migrates first. */
export class ClickHouseLogWriter implements LogWriter {
  readonly #ch: ClickHouse;

  private constructor(ch: ClickHouse) {
    this.#ch = ch;
  }

  /** Applies the control migrations, then returns the writer. */
  static async open(ch: ClickHouse, opts: { ttlDays?: number; cluster?: string } = {}): Promise<ClickHouseLogWriter> {
    await migrate(ch, controlMigrations({ ttlDays: opts.ttlDays ?? 30 }), {
      component: 'control',
      ...(opts.cluster ? { cluster: opts.cluster } : {}),
    });
    return new ClickHouseLogWriter(ch);
  }

  /** {@inheritDoc LogWriter.write} */
  async write(batch: readonly ControlLogRecord[], token: string): Promise<void> {
    const decisions: ReturnType<typeof decisionRow>[] = [];
    const levels: ReturnType<typeof levelRow>[] = [];
    for (const r of batch) {
      if (r.kind === 'decision') decisions.push(decisionRow(r));
      else levels.push(levelRow(r));
    }
    await insertRows(this.#ch, 'route_decisions', decisions, token);
    await insertRows(this.#ch, 'level_changes', levels, token);
  }
}
