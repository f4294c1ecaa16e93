import type { ClickHouse } from './connect.js';

/** One schema step. `sql` statements run in order; each must be idempotent (`IF NOT EXISTS`). */
export interface Migration {
  /** Strictly increasing across the list. */
  version: number;
  name: string;
  /**
   * Statements; `{db}` is replaced with the database name, `{onCluster}` with `` ON CLUSTER `x` `` or nothing.
   * With a cluster, each table becomes a replicated local table and a Distributed table over it (see
   * {@link renderStatements}).
   */
  sql: string[];
  /**
   * With a cluster: the sharding key of each table this migration creates, by table name. It must be a
   * deterministic function of the table's sorting key (`cityHash64(tenant, id)` for `ORDER BY (tenant,
   * source, id)`), so rows a ReplacingMergeTree merges, and a retried insert's rows, land on one shard.
   */
  shardBy?: Readonly<Record<string, string>>;
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Whose schema this is (`pipelines`, `control`, …): each component numbers its migrations on its own. */
  component: string;
  /** With a cluster name, DDL runs `ON CLUSTER`, tables are replicated and read and written through Distributed tables. */
  cluster?: string;
}

const ENGINE = /ENGINE\s*=\s*(Replacing|Summing|Aggregating)?MergeTree(?:\s*\(([^)]*)\))?/g;
const CREATE = /^\s*CREATE TABLE IF NOT EXISTS \{db\}\.([A-Za-z_][A-Za-z0-9_]*)\{onCluster\}/;
const ALTER = /^\s*ALTER TABLE \{db\}\.([A-Za-z_][A-Za-z0-9_]*)\{onCluster\}/;

/** Suffix of the replicated table holding a shard's rows, under the Distributed table that keeps the plain name. */
export const LOCAL_SUFFIX = '_local';

/**
 * A migration statement for database `db`, as the statements to run: `{db}` and `{onCluster}` filled in.
 * Without a cluster, the statement itself. With one, every statement runs `ON CLUSTER`, and:
 * - `CREATE TABLE IF NOT EXISTS {db}.t{onCluster} … ENGINE = [Replacing|Summing|Aggregating]MergeTree[(args)] …`
 *   becomes `t_local`, replicated (the conventional Keeper path and replica macros,
 *   `/clickhouse/tables/{shard}/{database}/{table}`, `{replica}`, which each server's `<macros>` fill in, its
 *   own arguments kept after them), then `t` as `Distributed(cluster, db, t_local, shardBy[t])` with the same
 *   columns: reads and writes keep going to `t`, and nothing else changes;
 * - `ALTER TABLE {db}.t{onCluster} …` alters `t_local`, then `t` (a Distributed table fills column defaults itself).
 */
export function renderStatements(sql: string, db: string, cluster?: string, shardBy?: Readonly<Record<string, string>>): string[] {
  if (cluster !== undefined && !/^[A-Za-z0-9_.-]+$/.test(cluster))
    throw new Error(`cluster name must be letters, digits, _ . -, got "${cluster}"`);
  const fill = (s: string) => s.replaceAll('{db}', db).replaceAll('{onCluster}', cluster ? ` ON CLUSTER \`${cluster}\`` : '');
  if (!cluster) return [fill(sql)];
  const replicated = (s: string) =>
    s.replace(ENGINE, (_m, kind: string | undefined, args: string | undefined) => {
      const replica = `'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'`;
      return `ENGINE = Replicated${kind ?? ''}MergeTree(${args?.trim() ? `${replica}, ${args.trim()}` : replica})`;
    });
  const local = (table: string) => sql.replace(`{db}.${table}{onCluster}`, `{db}.${table}${LOCAL_SUFFIX}{onCluster}`);
  const created = CREATE.exec(sql);
  if (created && new RegExp(ENGINE.source).test(sql)) {
    const table = created[1]!;
    const key = shardBy?.[table];
    if (!key) throw new Error(`table ${table} needs a sharding key (Migration.shardBy) to be created on cluster ${cluster}`);
    return [
      replicated(fill(local(table))),
      `CREATE TABLE IF NOT EXISTS ${db}.${table} ON CLUSTER \`${cluster}\` AS ${db}.${table}${LOCAL_SUFFIX} ` +
        `ENGINE = Distributed('${cluster}', '${db}', '${table}${LOCAL_SUFFIX}', ${key})`,
    ];
  }
  const altered = ALTER.exec(sql);
  if (altered) return [fill(local(altered[1]!)), fill(sql)];
  return [replicated(fill(sql))];
}

/** The table recording which migrations ran, per component. */
export const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS {db}.schema_migrations{onCluster} (component LowCardinality(String), version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY (component, version)`;

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
  for (const query of renderStatements(SCHEMA_MIGRATIONS, db, opts.cluster, { schema_migrations: 'cityHash64(component)' }))
    await ch.client.command({ query });
  const done = await ch.client.query({
    query: `SELECT version FROM ${db}.schema_migrations FINAL WHERE component = {component:String}`,
    query_params: { component: opts.component },
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
  const ran: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const stmt of m.sql) for (const query of renderStatements(stmt, db, opts.cluster, m.shardBy)) await ch.client.command({ query });
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
