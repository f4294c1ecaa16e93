/** Runs every ClickHouse query of the dashboards, expanded as the plugin expands it, against a real schema. */
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import type { DashboardFile } from '../index.js';
import { expandQuery, type TemplateVariable } from '../plugin/macros.js';
import { queriesOf, variableValues } from './targets.js';

/** What one query returned under one choice of variables. */
export interface QueryRun {
  readonly dashboard: string;
  readonly where: string;
  /** Which variable choice, e.g. `skill_group=All`. */
  readonly choice: string;
  readonly sql: string;
  readonly rows: number;
  /** ClickHouse's error, when the query failed. */
  readonly error?: string;
}

/** What the queries run with: the data's tenant and skill groups, time range and panel interval. */
export interface RunContext {
  readonly tenant: string;
  readonly skillGroups: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  /** Panel interval for `$__timeInterval`, ms (default 60 000). */
  readonly intervalMs?: number;
}

/**
 * Runs each ClickHouse query (panels and variables) of `dashboards` on `ch` twice: with skill group
 * All and with the first skill group alone; the `database` variable is set to `ch.database`.
 */
export async function runClickHouseQueries(
  ch: Pick<ClickHouse, 'client' | 'database'>,
  dashboards: readonly DashboardFile[],
  c: RunContext,
): Promise<QueryRun[]> {
  const choices: [string, Record<string, TemplateVariable>][] = [
    ['skill_group=All', { skill_group: { current: '$__all', options: c.skillGroups } }],
    [`skill_group=${c.skillGroups[0]}`, { skill_group: { current: [c.skillGroups[0]!] } }],
  ];
  const runs: QueryRun[] = [];
  for (const { dashboard } of dashboards) {
    for (const q of queriesOf(dashboard).filter((x) => x.kind === 'clickhouse')) {
      for (const [choice, picked] of choices) {
        const variables = variableValues(dashboard, { ...picked, tenant: { current: c.tenant }, database: { current: ch.database } });
        const sql = expandQuery(q.text, { fromMs: c.fromMs, toMs: c.toMs, intervalMs: c.intervalMs ?? 60_000, variables });
        try {
          const rs = await ch.client.query({ query: sql, format: 'JSONEachRow' });
          const rows = (await rs.json()) as unknown[];
          runs.push({ dashboard: q.dashboard, where: q.where, choice, sql, rows: rows.length });
        } catch (err) {
          runs.push({ dashboard: q.dashboard, where: q.where, choice, sql, rows: 0, error: (err as Error).message.split('\n')[0] });
        }
      }
    }
  }
  return runs;
}

/** The runs that failed or returned no rows, one line each. */
export function failedRuns(runs: readonly QueryRun[]): string[] {
  return runs
    .filter((r) => r.error !== undefined || r.rows === 0)
    .map((r) => `${r.dashboard} ${r.where} (${r.choice}): ${r.error ?? 'no rows'}\n    ${r.sql.replace(/\s+/g, ' ').slice(0, 400)}`);
}
