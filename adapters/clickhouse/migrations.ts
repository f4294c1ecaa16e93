import type { ClickHouse } from './connect.js';

/** One schema step. `sql` statements run in order; each must be idempotent (`IF NOT EXISTS`). */
export interface Migration {
  /** Strictly increasing across the list. */
  version: number;
  name: string;
  /**
   * Statements; `{db}` is replaced with the database name, `{onCluster}` with `` ON CLUSTER `x` `` or nothing.
   * With a cluster, MergeTree-family engines become their replicated kind (see {@link renderStatement}).
   */
  sql: string[];
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Whose schema this is (`pipelines`, `control`, …): each component numbers its migrations on its own. */
  component: string;
  /** With a cluster name, DDL runs `ON CLUSTER` and tables use replicated engines. */
  cluster?: string;
}

const ENGINE = /ENGINE\s*=\s*(Replacing|Summing|Aggregating)?MergeTree(?:\s*\(([^)]*)\))?/g;

/**
 * A migration statement for database `db`: `{db}` and `{onCluster}` filled in, and, with a cluster,
 * each `ENGINE = [Replacing|Summing|Aggregating]MergeTree[(args)]` turned into its replicated kind with
 * the conventional Keeper path and replica macros (`/clickhouse/tables/{shard}/{database}/{table}`,
 * `{replica}`: each server's `<macros>` fill them in), its own arguments kept after them.
 */
export function renderStatement(sql: string, db: string, cluster?: string): string {
  if (cluster !== undefined && !/^[A-Za-z0-9_.-]+$/.test(cluster))
    throw new Error(`cluster name must be letters, digits, _ . -, got "${cluster}"`);
  const out = sql.replaceAll('{db}', db).replaceAll('{onCluster}', cluster ? ` ON CLUSTER \`${cluster}\`` : '');
  if (!cluster) return out;
  return out.replace(ENGINE, (_m, kind: string | undefined, args: string | undefined) => {
    const replica = `'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'`;
    return `ENGINE = Replicated${kind ?? ''}MergeTree(${args?.trim() ? `${replica}, ${args.trim()}` : replica})`;
  });
}

/**
 * Applies the migrations of one component not yet recorded in `{db}.schema_migrations`, in version order, recording each
 * after its statements succeed. Safe to run on every start and from several processes: statements are
 * idempotent, so a step interrupted half-way is simply run again.
 */
export async function migrate(ch: ClickHouse, migrations: Migration[], opts: MigrateOptions): Promise<number[]> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version)
      throw new Error(`migration versions must increase: ${migrations[i]!.version} after ${migrations[i - 1]!.version}`);
  }
  const db = ch.database;
  const render = (s: string) => renderStatement(s, db, opts.cluster);
  await ch.client.command({
    query: render(
      `CREATE TABLE IF NOT EXISTS {db}.schema_migrations{onCluster} (component LowCardinality(String), version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY (component, version)`,
    ),
  });
  const done = await ch.client.query({
    query: `SELECT version FROM ${db}.schema_migrations FINAL WHERE component = {component:String}`,
    query_params: { component: opts.component },
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
  const ran: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const stmt of m.sql) await ch.client.command({ query: render(stmt) });
    await ch.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ component: opts.component, version: m.version, name: m.name }],
      format: 'JSONEachRow',
      // Through chdb/connection settings stick to the session: every insert passes its own token.
      clickhouse_settings: { insert_deduplication_token: `migration:${opts.component}:${m.version}` },
    });
    ran.push(m.version);
  }
  return ran;
}
