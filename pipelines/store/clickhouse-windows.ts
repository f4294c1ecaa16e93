/**
 * Agent and extension window rows in ClickHouse: column mapping for inserts, and the queries (window
 * rows, agent intervals). Every value a caller supplies is bound as a query parameter.
 */
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import { AGENT_STATES, type AgentWindowRow } from '../agent/rows.js';
import type { AgentState, ExtensionState } from '../events/types.js';
import { EXTENSION_STATES, type ExtensionWindowRow } from '../extension/rows.js';
import { agentInterval, intervalMinutesRange, type AgentInterval, type AgentIntervalQuery } from './reports.js';
import type { StateWindowQuery } from './types.js';

/** Column prefix of a state: `ON_CALL` → `on_call`. */
const col = (state: string) => state.toLowerCase();
/** Agent states with a time column (LOGGED_OUT time is not accumulated). */
const AGENT_TIMED = AGENT_STATES.filter((s) => s !== 'LOGGED_OUT');

/** Runs a query with bound parameters and returns its rows. */
export async function select(ch: ClickHouse, query: string, params: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<Record<string, unknown>>();
}

/** A numeric map as ClickHouse returns it (64-bit values may come quoted). */
export function numbers(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>)) out[k] = Number(x);
  return out;
}

function stateRecord<S extends string>(
  all: readonly S[],
  present: readonly S[],
  suffix: string,
  r: Record<string, unknown>,
): Record<S, number> {
  const out = Object.fromEntries(all.map((s) => [s, 0])) as Record<S, number>;
  for (const s of present) out[s] = Number(r[`${col(s)}_${suffix}`]);
  return out;
}

const selectCols = (states: readonly string[], suffix: string, agg = '') =>
  states.map((s) => (agg ? `${agg}(${col(s)}_${suffix}) AS ${col(s)}_${suffix}_sum` : `${col(s)}_${suffix}`)).join(', ');

/** Rows to insert as arrays under fixed column names (JSONCompactEachRow). */
export interface Tuples {
  readonly columns: readonly string[];
  readonly rows: unknown[][];
}

export const AGENT_COLUMNS: readonly string[] = [
  'tenant',
  'agent_id',
  'window_sec',
  'window_start',
  'version',
  'final',
  ...AGENT_TIMED.map((s) => `${col(s)}_ms`),
  'aux_ms_by_reason',
  ...AGENT_STATES.map((s) => `${col(s)}_entries`),
];
export const EXTENSION_COLUMNS: readonly string[] = [
  'tenant',
  'extension',
  'window_sec',
  'window_start',
  'version',
  'final',
  ...EXTENSION_STATES.map((s) => `${col(s)}_ms`),
  ...EXTENSION_STATES.map((s) => `${col(s)}_entries`),
];

/**
 * Insert tuples of agent window rows, in {@link AGENT_COLUMNS}' order: one array literal per row (rows
 * come by the hundred thousand; an array grown by `push` cost a copy as it grew).
 */
export function agentWindowTuples(rows: readonly AgentWindowRow[]): Tuples {
  return {
    columns: AGENT_COLUMNS,
    rows: rows.map(({ tenant, agentId, windowSec, windowStart, version, final, ms: m, entries: e, auxMsByReason }) => [
      tenant,
      agentId,
      windowSec,
      windowStart,
      version,
      final ? 1 : 0,
      m.AVAILABLE,
      m.RINGING,
      m.ON_CALL,
      m.HOLD,
      m.ACW,
      m.AUX,
      auxMsByReason,
      e.LOGGED_OUT,
      e.AVAILABLE,
      e.RINGING,
      e.ON_CALL,
      e.HOLD,
      e.ACW,
      e.AUX,
    ]),
  };
}

/** Insert tuples of extension window rows, in {@link EXTENSION_COLUMNS}' order. */
export function extensionWindowTuples(rows: readonly ExtensionWindowRow[]): Tuples {
  return {
    columns: EXTENSION_COLUMNS,
    rows: rows.map(({ tenant, extension, windowSec, windowStart, version, final, ms: m, entries: e }) => [
      tenant,
      extension,
      windowSec,
      windowStart,
      version,
      final ? 1 : 0,
      m.IDLE,
      m.RINGING,
      m.BUSY,
      m.UNAVAILABLE,
      m.DND,
      e.IDLE,
      e.RINGING,
      e.BUSY,
      e.UNAVAILABLE,
      e.DND,
    ]),
  };
}

const RANGE = `window_start >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64})`;

/** Latest agent window rows (FINAL). */
export async function queryAgentWindows(ch: ClickHouse, q: StateWindowQuery & { agentId?: string }): Promise<AgentWindowRow[]> {
  const rows = await select(
    ch,
    `SELECT tenant, agent_id, window_sec, toUnixTimestamp64Milli(window_start) AS start_ms, version, final,
            ${selectCols(AGENT_TIMED, 'ms')}, aux_ms_by_reason, ${selectCols(AGENT_STATES, 'entries')}
     FROM ${ch.database}.agent_window FINAL
     WHERE tenant = {tenant:String} AND window_sec = {windowSec:UInt32} AND ${RANGE} AND ({agentId:String} = '' OR agent_id = {agentId:String})
     ORDER BY agent_id, window_start`,
    { tenant: q.tenant, windowSec: q.windowSec ?? 60, from: q.from, to: q.to, agentId: q.agentId ?? '' },
  );
  return rows.map((r) => ({
    tenant: String(r.tenant),
    agentId: String(r.agent_id),
    windowStart: Number(r.start_ms),
    windowSec: Number(r.window_sec),
    version: Number(r.version),
    final: Number(r.final) === 1,
    ms: stateRecord<AgentState>(AGENT_STATES, AGENT_TIMED, 'ms', r),
    entries: stateRecord<AgentState>(AGENT_STATES, AGENT_STATES, 'entries', r),
    auxMsByReason: numbers(r.aux_ms_by_reason),
  }));
}

/** Latest extension window rows (FINAL). */
export async function queryExtensionWindows(ch: ClickHouse, q: StateWindowQuery & { extension?: string }): Promise<ExtensionWindowRow[]> {
  const rows = await select(
    ch,
    `SELECT tenant, extension, window_sec, toUnixTimestamp64Milli(window_start) AS start_ms, version, final,
            ${selectCols(EXTENSION_STATES, 'ms')}, ${selectCols(EXTENSION_STATES, 'entries')}
     FROM ${ch.database}.extension_window FINAL
     WHERE tenant = {tenant:String} AND window_sec = {windowSec:UInt32} AND ${RANGE} AND ({extension:String} = '' OR extension = {extension:String})
     ORDER BY extension, window_start`,
    { tenant: q.tenant, windowSec: q.windowSec ?? 60, from: q.from, to: q.to, extension: q.extension ?? '' },
  );
  return rows.map((r) => ({
    tenant: String(r.tenant),
    extension: String(r.extension),
    windowStart: Number(r.start_ms),
    windowSec: Number(r.window_sec),
    version: Number(r.version),
    final: Number(r.final) === 1,
    ms: stateRecord<ExtensionState>(EXTENSION_STATES, EXTENSION_STATES, 'ms', r),
    entries: stateRecord<ExtensionState>(EXTENSION_STATES, EXTENSION_STATES, 'entries', r),
  }));
}

/** Agents' interval figures: their 1-minute rows (FINAL) summed per interval. */
export async function queryAgentIntervals(ch: ClickHouse, q: AgentIntervalQuery): Promise<AgentInterval[]> {
  const ms = q.intervalMinutes * 60_000;
  const range = intervalMinutesRange(q.from, q.to, ms);
  const rows = await select(
    ch,
    `SELECT agent_id, intDiv(toUnixTimestamp64Milli(window_start), {ms:Int64}) * {ms:Int64} AS interval_ms, count() AS minutes,
            ${selectCols(AGENT_TIMED, 'ms', 'sum')}, sumMap(aux_ms_by_reason) AS reasons, ${selectCols(AGENT_STATES, 'entries', 'sum')}
     FROM ${ch.database}.agent_window FINAL
     WHERE tenant = {tenant:String} AND window_sec = 60 AND ${RANGE} AND ({agentId:String} = '' OR agent_id = {agentId:String})
     GROUP BY agent_id, interval_ms
     ORDER BY agent_id, interval_ms`,
    { tenant: q.tenant, ms, ...range, agentId: q.agentId ?? '' },
  );
  return rows.map((r) =>
    agentInterval(
      { tenant: q.tenant, agentId: String(r.agent_id), intervalStart: Number(r.interval_ms), intervalSec: ms / 1000 },
      Number(r.minutes),
      stateRecord<AgentState>(AGENT_STATES, AGENT_TIMED, 'ms_sum', r),
      stateRecord<AgentState>(AGENT_STATES, AGENT_STATES, 'entries_sum', r),
      numbers(r.reasons),
    ),
  );
}
