import { createHash } from 'node:crypto';
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import { compactRows, jsonLines, type EncodedInsert } from '../../adapters/clickhouse/encoded-insert.js';
import { migrate } from '../../adapters/clickhouse/migrations.js';
import { partitionChunks } from '../../adapters/clickhouse/partitions.js';
import type { AgentWindowRow } from '../agent/rows.js';
import type { Source, TelemetryEvent } from '../events/types.js';
import type { ExtensionWindowRow } from '../extension/rows.js';
import type { IntervalReportRow } from '../interval/rows.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import { intervalReportValues, queryIntervalReports, queryReconciliation, querySkillGroupIntervals } from './clickhouse-reports.js';
import {
  agentWindowTuples,
  extensionWindowTuples,
  queryAgentIntervals,
  queryAgentWindows,
  queryExtensionWindows,
  type Tuples,
} from './clickhouse-windows.js';
import { MINUTE_COLUMNS, minuteFields, telemetryMigrations, type SchemaOptions } from './schema.js';
import type {
  AgentInterval,
  AgentIntervalQuery,
  DeadLetter,
  IntervalReportQuery,
  MinuteQuery,
  ReconcileQuery,
  ReconciliationRow,
  SkillGroupInterval,
  SkillGroupIntervalQuery,
  StateWindowQuery,
  TelemetryStore,
} from './types.js';

/** The entity an event is about: what its windows are keyed by. */
export function entityOf(e: TelemetryEvent): string {
  switch (e.source) {
    case 'agent':
      return e.body.agentId;
    case 'extension':
      return e.body.extension;
    case 'skillgroup':
      return e.body.skillGroup;
    case 'interval':
      return `${e.body.scope}:${e.body.key}`;
  }
}

/** The number fields of a minute row, read back with `Number`. */
const MINUTE_NUMBERS = minuteFields('time', 'number', 'sum', 'max');

/**
 * An `events_raw` insert as JSONEachRow, one event per line: with `received`, the bytes each event was
 * decoded from, as they are (JavaScript copies them, nothing more); without, each event's canonical
 * encoding. ClickHouse reads `entity` and `type` from the body (the columns' defaults), keeps `body`
 * as its JSON text and skips `v`.
 */
export function rawEventsInsert(
  events: readonly TelemetryEvent[],
  received?: readonly Uint8Array[],
): Pick<EncodedInsert, 'format' | 'body' | 'settings'> {
  const body = received
    ? jsonLines(received)
    : Buffer.from(
        events.map((e) => `${JSON.stringify({ tenant: e.tenant, source: e.source, id: e.id, ts: e.ts, body: e.body })}\n`).join(''),
        'utf8',
      );
  return { format: 'JSONEachRow', body, settings: { input_format_skip_unknown_fields: 1, input_format_json_read_objects_as_strings: 1 } };
}

/** The insert's column list, and the SELECT list of minute rows (each column as its field, times as epoch ms). */
const MINUTE_INSERT_COLUMNS = MINUTE_COLUMNS.map((c) => c.column);
const MINUTE_SELECT = MINUTE_COLUMNS.map((c) =>
  c.kind === 'time' ? `toUnixTimestamp64Milli(${c.column}) AS ${c.field}` : c.column === c.field ? c.column : `${c.column} AS ${c.field}`,
).join(', ');

/**
 * A minute row as its insert tuple, in {@link MINUTE_COLUMNS}' order: an array literal (rows come by the
 * hundred thousand), checked against the descriptor by schema.test.ts.
 */
export function minuteTuple(r: MinuteRow): unknown[] {
  return [
    r.tenant,
    r.skillGroup,
    r.windowStart,
    r.version,
    r.final ? 1 : 0,
    r.offered,
    r.answered,
    r.answeredWithinSl,
    r.answerWaitMs,
    r.abandoned,
    r.abandonedWithinSl,
    r.shortAbandons,
    r.abandonWaitMs,
    r.overflowed,
    r.maxWaitMs,
    r.handled,
    r.transferred,
    r.talkMs,
    r.holdMs,
    r.acwMs,
    r.serviceLevelMs,
    r.shortAbandonMs,
  ];
}

/** The column each table is partitioned by month on (`PARTITION BY toYYYYMM(…)`, see schema.ts). */
const PARTITION_COLUMN: Readonly<Record<string, string>> = {
  events_raw: 'ts',
  skillgroup_minute: 'window_start',
  agent_window: 'window_start',
  extension_window: 'window_start',
  interval_report: 'interval_start',
  dead_letters: 'received_at',
};

/** Observer of insert latency, for metrics. */
export type InsertObserver = (table: string, rows: number, seconds: number) => void;

/**
 * The telemetry store in ClickHouse (a server, or chDB in-process). Every insert carries its own
 * `insert_deduplication_token`; every query that takes input binds it as a query parameter.
 */
export class ClickHouseTelemetryStore implements TelemetryStore {
  private constructor(
    private readonly ch: ClickHouse,
    private readonly observe: InsertObserver,
  ) {}

  /** Runs pending migrations and returns the store. */
  static async open(
    ch: ClickHouse,
    opts: SchemaOptions & { cluster?: string; observe?: InsertObserver },
  ): Promise<ClickHouseTelemetryStore> {
    await migrate(ch, telemetryMigrations(opts), { component: 'pipelines', cluster: opts.cluster });
    return new ClickHouseTelemetryStore(ch, opts.observe ?? (() => {}));
  }

  async #insert(table: string, values: Record<string, unknown>[], token: string | undefined): Promise<void> {
    if (values.length === 0) return;
    // Rows as arrays under named columns: about twice as fast for ClickHouse to parse as objects.
    // Every key any row has (a row without one gets null: the column's default).
    const keys = new Set<string>();
    for (const v of values) for (const k in v) keys.add(k);
    const columns = [...keys];
    await this.#insertTuples(table, { columns, rows: values.map((v) => columns.map((c) => v[c])) }, token);
  }

  /**
   * Rows spanning more monthly partitions than one insert may hold (a vendor's reports of years past)
   * go in several inserts of whole months, each under a token of its own.
   */
  async #insertTuples(table: string, t: Tuples, token: string | undefined): Promise<void> {
    if (t.rows.length === 0) return;
    const col = t.columns.indexOf(PARTITION_COLUMN[table] ?? '');
    const chunks = col < 0 ? [t.rows] : partitionChunks(t.rows.length, (i) => Number(t.rows[i]![col])).map((c) => c.map((i) => t.rows[i]!));
    for (const [k, rows] of chunks.entries()) {
      await this.#write(
        table,
        rows.length,
        { format: 'JSONCompactEachRow', columns: t.columns, body: compactRows(rows) },
        chunks.length > 1 && token !== undefined ? `${token}@${k}` : token,
      );
    }
  }

  /**
   * Runs an insert under `token`, or without one under its body's digest: the same rows always make the
   * same body, and ClickHouse's own digest of a block cannot serve, since it covers the defaults filled
   * in at insert time (`updated_at`), which differ on a retry.
   */
  async #write(
    table: string,
    rows: number,
    insert: Pick<EncodedInsert, 'format' | 'columns' | 'body'> & { settings?: EncodedInsert['settings'] },
    token: string | undefined,
  ): Promise<void> {
    const t0 = performance.now();
    const dedup = `${table}:${token ?? createHash('sha1').update(insert.body).digest('base64url')}`;
    await this.ch.insertEncoded({
      ...insert,
      table: `${this.ch.database}.${table}`,
      settings: { ...insert.settings, insert_deduplication_token: dedup, async_insert: 0 },
    });
    this.observe(table, rows, (performance.now() - t0) / 1000);
  }

  /**
   * With `received` (the JSON bytes each event was decoded from), the rows are those bytes as received:
   * ClickHouse parses them on its own threads and JavaScript serialises nothing. Text that ClickHouse
   * reads differently from `JSON.parse` (a duplicate key, `1e12` for an integer, a lone surrogate) fails
   * the insert as a whole, and the batch is then stored from the decoded events instead — under the same
   * token, so either way it is stored once.
   */
  async insertEvents(events: TelemetryEvent[], token: string, received?: readonly Uint8Array[]): Promise<void> {
    if (events.length === 0) return;
    if (received && received.length !== events.length)
      throw new Error(`insertEvents: ${received.length} received texts for ${events.length} events`);
    const chunks = partitionChunks(events.length, (i) => events[i]!.ts);
    if (chunks.length > 1) {
      for (const [k, c] of chunks.entries())
        await this.insertEvents(
          c.map((i) => events[i]!),
          `${token}@${k}`,
          received && c.map((i) => received[i]!),
        );
      return;
    }
    if (received) {
      try {
        await this.#write('events_raw', events.length, rawEventsInsert(events, received), token);
        return;
      } catch {
        // Stored below from the decoded events; if ClickHouse is down that fails too and the caller retries.
      }
    }
    await this.#write('events_raw', events.length, rawEventsInsert(events), token);
  }

  upsertMinutes(rows: MinuteRow[], token?: string): Promise<void> {
    return this.#insertTuples('skillgroup_minute', { columns: MINUTE_INSERT_COLUMNS, rows: rows.map(minuteTuple) }, token);
  }

  insertDeadLetters(rows: DeadLetter[], token: string): Promise<void> {
    return this.#insert(
      'dead_letters',
      rows.map((r) => ({
        tenant: r.tenant,
        source: r.source,
        code: r.code,
        reason: r.reason,
        payload_base64: r.payload.toString('base64'),
        origin: r.origin,
        received_at: r.receivedAt,
      })),
      token,
    );
  }

  async minutes(q: MinuteQuery): Promise<MinuteRow[]> {
    const rs = await this.ch.client.query({
      query: `SELECT ${MINUTE_SELECT}
              FROM ${this.ch.database}.skillgroup_minute FINAL
              WHERE tenant = {tenant:String}
                AND window_start >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64})
                AND ({skillGroup:String} = '' OR skill_group = {skillGroup:String})
              ORDER BY skill_group, window_start`,
      query_params: { tenant: q.tenant, from: q.from, to: q.to, skillGroup: q.skillGroup ?? '' },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Record<string, string | number>>();
    return rows.map((r) => {
      const row = { tenant: String(r.tenant), skillGroup: String(r.skillGroup), final: Number(r.final) === 1 } as Record<string, unknown>;
      for (const k of MINUTE_NUMBERS) row[k] = Number(r[k]);
      return row as unknown as MinuteRow;
    });
  }

  upsertAgentWindows(rows: AgentWindowRow[], token?: string): Promise<void> {
    return this.#insertTuples('agent_window', agentWindowTuples(rows), token);
  }

  upsertExtensionWindows(rows: ExtensionWindowRow[], token?: string): Promise<void> {
    return this.#insertTuples('extension_window', extensionWindowTuples(rows), token);
  }

  upsertIntervalReports(rows: IntervalReportRow[], token?: string): Promise<void> {
    return this.#insert('interval_report', intervalReportValues(rows), token);
  }

  agentWindows(q: StateWindowQuery & { agentId?: string }): Promise<AgentWindowRow[]> {
    return queryAgentWindows(this.ch, q);
  }

  extensionWindows(q: StateWindowQuery & { extension?: string }): Promise<ExtensionWindowRow[]> {
    return queryExtensionWindows(this.ch, q);
  }

  intervalReports(q: IntervalReportQuery): Promise<IntervalReportRow[]> {
    return queryIntervalReports(this.ch, q);
  }

  skillGroupIntervals(q: SkillGroupIntervalQuery): Promise<SkillGroupInterval[]> {
    return querySkillGroupIntervals(this.ch, q);
  }

  agentIntervals(q: AgentIntervalQuery): Promise<AgentInterval[]> {
    return queryAgentIntervals(this.ch, q);
  }

  reconcileIntervals(q: ReconcileQuery): Promise<ReconciliationRow[]> {
    return queryReconciliation(this.ch, q);
  }

  async countEvents(tenant: string, source?: Source): Promise<number> {
    const rs = await this.ch.client.query({
      query: `SELECT count() AS n FROM ${this.ch.database}.events_raw FINAL WHERE tenant = {tenant:String} AND ({source:String} = '' OR source = {source:String})`,
      query_params: { tenant, source: source ?? '' },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const rs = await this.ch.client.query({
      query: `SELECT tenant, source, code, reason, payload_base64, origin, toUnixTimestamp64Milli(received_at) AS receivedAt
              FROM ${this.ch.database}.dead_letters ORDER BY received_at DESC, origin LIMIT {limit:UInt32}`,
      query_params: { limit },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Record<string, string | number>>();
    return rows.map((r) => ({
      tenant: String(r.tenant),
      source: String(r.source),
      code: String(r.code),
      reason: String(r.reason),
      payload: Buffer.from(String(r.payload_base64), 'base64'),
      origin: String(r.origin),
      receivedAt: Number(r.receivedAt),
    }));
  }

  async close(): Promise<void> {
    await this.ch.close();
  }
}
