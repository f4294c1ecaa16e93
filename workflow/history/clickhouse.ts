import { randomUUID } from 'node:crypto';
import { BufferedInsert, insertRows } from '../../adapters/clickhouse/buffered-insert.js';
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import { migrate, type Migration } from '../../adapters/clickhouse/migrations.js';
import type { Clock } from '../../adapters/clock.js';
import { workflowError } from '../errors.js';
import { Emitter, type Listener } from '../../core/emitter.js';
import { breachRows, groupOf } from './memory.js';
import type {
  AlertDeliveryRow,
  BreachRateQuery,
  BreachRateRow,
  HistoryStore,
  NodeFigureRow,
  NodeFiguresQuery,
  SlaWarningRow,
  TicketEventRow,
} from './types.js';

/**
 * The workflow's ClickHouse schema (component `workflow`): ticket events and fired SLA
 * timers, MergeTree by tenant and time, expiring after `ttlDays`. Retried inserts with the
 * same token are dropped (`non_replicated_deduplication_window`).
 *
 * @param ttlDays retention, days
 */
export function historyMigrations(ttlDays: number): Migration[] {
  const settings = 'SETTINGS non_replicated_deduplication_window = 10000';
  return [
    {
      version: 1,
      name: 'ticket events and SLA warnings',
      shardBy: { ticket_events: 'cityHash64(tenant, ticket_id)', sla_warnings: 'cityHash64(tenant, timer_id)' },
      sql: [
        `CREATE TABLE IF NOT EXISTS {db}.ticket_events{onCluster} (
          tenant LowCardinality(String), ticket_id String, flow_id LowCardinality(String), flow_version UInt32,
          node_id LowCardinality(String), team LowCardinality(String), assignee String, event LowCardinality(String),
          breached UInt8, elapsed_ms UInt64, revision UInt32, seq UInt16, ts DateTime64(3, 'UTC')
        ) ENGINE = MergeTree
        PARTITION BY toYYYYMM(ts) ORDER BY (tenant, event, ts, ticket_id, revision, seq)
        TTL toDateTime(ts) + INTERVAL ${ttlDays} DAY
        ${settings}`,
        `CREATE TABLE IF NOT EXISTS {db}.sla_warnings{onCluster} (
          tenant LowCardinality(String), ticket_id String, flow_id LowCardinality(String), flow_version UInt32,
          node_id LowCardinality(String), team LowCardinality(String), timer_id String, kind LowCardinality(String),
          level UInt8, repeat UInt16, channel LowCardinality(String), delivered UInt8, late UInt8,
          lateness_ms UInt64, due_at DateTime64(3, 'UTC'), ts DateTime64(3, 'UTC')
        ) ENGINE = MergeTree
        PARTITION BY toYYYYMM(ts) ORDER BY (tenant, kind, ts, timer_id)
        TTL toDateTime(ts) + INTERVAL ${ttlDays} DAY
        ${settings}`,
      ],
    },
    {
      version: 2,
      name: 'who made each ticket transition',
      sql: [`ALTER TABLE {db}.ticket_events{onCluster} ADD COLUMN IF NOT EXISTS actor String DEFAULT '' AFTER event`],
    },
    {
      version: 3,
      name: 'alert delivery attempts',
      shardBy: { alert_deliveries: 'cityHash64(tenant, delivery_id)' },
      sql: [
        `CREATE TABLE IF NOT EXISTS {db}.alert_deliveries{onCluster} (
          tenant LowCardinality(String), alert_id String, alert_kind LowCardinality(String), ticket_id String,
          delivery_id String, recipient String, channel LowCardinality(String), attempt UInt16,
          result LowCardinality(String), error String, provider_id String, in_doubt UInt8, ts DateTime64(3, 'UTC')
        ) ENGINE = MergeTree
        PARTITION BY toYYYYMM(ts) ORDER BY (tenant, ts, delivery_id, attempt)
        TTL toDateTime(ts) + INTERVAL ${ttlDays} DAY
        ${settings}`,
      ],
    },
  ];
}

/** Options of {@link ClickHouseHistory}. */
export interface ClickHouseHistoryOptions {
  /** Time source for the flush timer. */
  readonly clock: Clock;
  /** Names this instance in insert tokens. */
  readonly instanceId: string;
  /** Rows per insert (default 1000). */
  readonly batchSize?: number;
  /** Longest a row waits before it is written, ms (default 1000). */
  readonly flushIntervalMs?: number;
  /** Most rows queued per table; beyond it the oldest are dropped and counted (default 100 000). */
  readonly maxQueued?: number;
  /** Retention, days (default 90). */
  readonly ttlDays?: number;
  /** DDL `ON CLUSTER` name. */
  readonly cluster?: string;
}

/** Instrumentation events of {@link ClickHouseHistory}. */
export interface ClickHouseHistoryEvents {
  /** An insert failed; the batch stays queued and is retried with the same token. */
  error: unknown;
  /** Rows dropped because the queue was full. */
  dropped: { readonly table: string; readonly rows: number };
  /** A batch was stored. */
  inserted: { readonly table: string; readonly rows: number; readonly seconds: number };
}

type Row = Record<string, unknown>;

/**
 * The {@link HistoryStore} in ClickHouse. Recording hands the rows to one buffered insert per
 * table (`adapters/clickhouse/buffered-insert.ts`) and returns at once; batches leave every
 * `flushIntervalMs`, or as soon as one is full, each with its own `insert_deduplication_token`.
 * A failed batch is retried (with backoff) with the same token, so a retry never doubles rows.
 */
export class ClickHouseHistory implements HistoryStore {
  readonly #ch: ClickHouse;
  readonly #events = new Emitter<ClickHouseHistoryEvents>();
  readonly #tickets: BufferedInsert<Row>;
  readonly #warnings: BufferedInsert<Row>;
  readonly #alerts: BufferedInsert<Row>;
  #closed = false;

  private constructor(ch: ClickHouse, options: ClickHouseHistoryOptions) {
    this.#ch = ch;
    const tokenPrefix = `wf:${options.instanceId}:${randomUUID().slice(0, 8)}`;
    const capacity = options.maxQueued ?? 100_000;
    // A batch never holds more than the queue does.
    const batchSize = Math.min(options.batchSize ?? 1_000, capacity);
    const insert = (table: string): BufferedInsert<Row> => {
      const b = new BufferedInsert<Row>({
        write: (rows, token) => insertRows(ch, table, rows, token),
        clock: options.clock,
        tokenPrefix,
        batchSize,
        flushMs: options.flushIntervalMs ?? 1_000,
        capacity,
        observer: {
          inserted: (rows, ms) => this.#events.emit('inserted', { table, rows, seconds: ms / 1000 }),
          failed: (err) => this.#events.emit('error', err),
          dropped: (rows) => this.#events.emit('dropped', { table, rows }),
        },
      });
      b.start();
      return b;
    };
    this.#tickets = insert('ticket_events');
    this.#warnings = insert('sla_warnings');
    this.#alerts = insert('alert_deliveries');
  }

  /** Runs pending migrations and returns the store. The connection is not closed by {@link close}. */
  static async open(ch: ClickHouse, options: ClickHouseHistoryOptions): Promise<ClickHouseHistory> {
    await migrate(ch, historyMigrations(options.ttlDays ?? 90), {
      component: 'workflow',
      ...(options.cluster !== undefined && { cluster: options.cluster }),
    });
    return new ClickHouseHistory(ch, options);
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof ClickHouseHistoryEvents>(event: K, listener: Listener<ClickHouseHistoryEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  recordTicketEvents(rows: readonly TicketEventRow[]): void {
    if (this.#closed) return;
    this.#tickets.addAll(
      rows.map((r) => ({
        tenant: r.tenant,
        ticket_id: r.ticketId,
        flow_id: r.flowId,
        flow_version: r.flowVersion,
        node_id: r.nodeId,
        team: r.team,
        assignee: r.assignee,
        event: r.event,
        actor: r.actor,
        breached: r.breached ? 1 : 0,
        elapsed_ms: Math.max(0, Math.round(r.elapsedMs)),
        revision: r.revision,
        seq: r.seq,
        ts: r.ts,
      })),
    );
  }

  recordSlaWarnings(rows: readonly SlaWarningRow[]): void {
    if (this.#closed) return;
    this.#warnings.addAll(
      rows.map((r) => ({
        tenant: r.tenant,
        ticket_id: r.ticketId,
        flow_id: r.flowId,
        flow_version: r.flowVersion,
        node_id: r.nodeId,
        team: r.team,
        timer_id: r.timerId,
        kind: r.kind,
        level: r.level,
        repeat: r.repeat,
        channel: r.channel,
        delivered: r.delivered ? 1 : 0,
        late: r.late ? 1 : 0,
        lateness_ms: Math.max(0, Math.round(r.latenessMs)),
        due_at: r.dueAt,
        ts: r.ts,
      })),
    );
  }

  recordAlertDeliveries(rows: readonly AlertDeliveryRow[]): void {
    if (this.#closed) return;
    this.#alerts.addAll(
      rows.map((r) => ({
        tenant: r.tenant,
        alert_id: r.alertId,
        alert_kind: r.alertKind,
        ticket_id: r.ticketId,
        delivery_id: r.deliveryId,
        recipient: r.recipient,
        channel: r.channel,
        attempt: r.attempt,
        result: r.result,
        error: r.error,
        provider_id: r.providerId,
        in_doubt: r.inDoubt ? 1 : 0,
        ts: r.ts,
      })),
    );
  }

  async flush(): Promise<void> {
    await this.#tickets.flush();
    await this.#warnings.flush();
    await this.#alerts.flush();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#tickets.stop();
    await this.#warnings.stop();
    await this.#alerts.stop();
  }

  async breachRate(q: BreachRateQuery): Promise<BreachRateRow[]> {
    const db = this.#ch.database;
    const cols = { flow: ['flow_id'], node: ['flow_id', 'node_id'], team: ['team'] }[q.by];
    const select = cols.join(', ');
    const params = { tenant: q.tenant, from: q.from, to: q.to };
    const where = `tenant = {tenant:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})`;
    const [clocks, warnings] = await Promise.all([
      this.#rows(
        `SELECT ${select}, count() AS clocks, countIf(breached = 1) AS breached FROM ${db}.ticket_events WHERE ${where} AND event = 'sla.stopped' GROUP BY ${select}`,
        params,
      ),
      this.#rows(
        `SELECT ${select}, count() AS warnings FROM ${db}.sla_warnings WHERE ${where} AND kind = 'warning' AND delivered = 1 GROUP BY ${select}`,
        params,
      ),
    ]);
    const groups = new Map<string, { fields: Partial<BreachRateRow>; clocks: number; breached: number; warnings: number }>();
    const group = (r: Record<string, unknown>) => {
      const { key, fields } = groupOf(q.by, {
        flowId: String(r.flow_id ?? ''),
        nodeId: String(r.node_id ?? ''),
        team: String(r.team ?? ''),
      });
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { fields, clocks: 0, breached: 0, warnings: 0 }));
      return g;
    };
    for (const r of clocks) Object.assign(group(r), { clocks: Number(r.clocks), breached: Number(r.breached) });
    for (const r of warnings) group(r).warnings = Number(r.warnings);
    return breachRows(groups);
  }

  async nodeFigures(q: NodeFiguresQuery): Promise<NodeFigureRow[]> {
    const db = this.#ch.database;
    const params = { tenant: q.tenant, flow: q.flowId, version: q.flowVersion, from: q.from, to: q.to };
    const where =
      'tenant = {tenant:String} AND flow_id = {flow:String} AND flow_version = {version:UInt32} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})';
    // The i-th departure of a ticket from a node pairs with its i-th arrival (as `nodeFigureRows`).
    const [stays, breaches] = await Promise.all([
      this.#rows(
        `SELECT node_id, count() AS stays, quantileExact(0.5)(spent) AS median_ms FROM (
           SELECT node_id, arrayJoin(arrayMap((l, e) -> l - e, lefts, arraySlice(enters, 1, length(lefts)))) AS spent FROM (
             SELECT ticket_id, node_id,
               arraySort(groupArrayIf(toUnixTimestamp64Milli(ts), event = 'node.left')) AS lefts,
               arraySort(groupArrayIf(toUnixTimestamp64Milli(ts), event = 'node.entered')) AS enters
             FROM ${db}.ticket_events WHERE ${where} AND event IN ('node.entered', 'node.left')
             GROUP BY ticket_id, node_id
           ) WHERE length(enters) >= length(lefts)
         ) GROUP BY node_id`,
        params,
      ),
      this.#rows(
        `SELECT node_id, uniqExact(ticket_id) AS breaches FROM ${db}.sla_warnings WHERE ${where} AND kind = 'breach' GROUP BY node_id`,
        params,
      ),
    ]);
    const byNode = new Map<string, { breaches: number; stays: number; medianMs: number }>();
    const node = (id: string) => {
      let n = byNode.get(id);
      if (!n) byNode.set(id, (n = { breaches: 0, stays: 0, medianMs: 0 }));
      return n;
    };
    for (const r of stays) Object.assign(node(String(r.node_id)), { stays: Number(r.stays), medianMs: Number(r.median_ms) });
    for (const r of breaches) node(String(r.node_id)).breaches = Number(r.breaches);
    return [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([nodeId, n]) => ({ nodeId, ...n }));
  }

  async #rows(query: string, params: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    try {
      const rs = await this.#ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await rs.json<Record<string, unknown>>();
    } catch (err) {
      throw workflowError('SLUICE_ERR_UNAVAILABLE', `SLA history query failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
