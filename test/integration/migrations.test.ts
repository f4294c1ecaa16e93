import { describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { migrate, renderStatements, SCHEMA_MIGRATIONS, type Migration } from '../../adapters/clickhouse/migrations.js';
import { telemetryMigrations } from '../../pipelines/store/schema.js';
import { controlMigrations } from '../../control/log/clickhouse.js';
import { historyMigrations } from '../../workflow/history/clickhouse.js';
import { clickhouseTargets } from '../support/clickhouse.js';

describe.each(clickhouseTargets)('ClickHouse migrations ($name)', ({ target }) => {
  it('apply once per component, in order, and are safe to run again', async () => {
    const ch = await connectClickHouse(target(), `migr_${process.pid}`);
    const a: Migration[] = [
      { version: 1, name: 'one', sql: ['CREATE TABLE IF NOT EXISTS {db}.a1 (x UInt8) ENGINE = MergeTree ORDER BY x'] },
      { version: 2, name: 'two', sql: ['CREATE TABLE IF NOT EXISTS {db}.a2 (x UInt8) ENGINE = MergeTree ORDER BY x'] },
    ];
    const b: Migration[] = [
      { version: 1, name: 'other one', sql: ['CREATE TABLE IF NOT EXISTS {db}.b1 (x UInt8) ENGINE = MergeTree ORDER BY x'] },
    ];
    expect(await migrate(ch, a.slice(0, 1), { component: 'a' })).toEqual([1]);
    expect(await migrate(ch, a, { component: 'a' })).toEqual([2]);
    expect(await migrate(ch, a, { component: 'a' })).toEqual([]);
    expect(await migrate(ch, b, { component: 'b' })).toEqual([1]);
    const tables = await (
      await ch.client.query({
        query: `SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`,
        query_params: { db: ch.database },
        format: 'JSONEachRow',
      })
    ).json<{ name: string }>();
    expect(tables.map((t) => t.name)).toEqual(['a1', 'a2', 'b1', 'schema_migrations']);
    await expect(migrate(ch, [a[1]!, a[0]!], { component: 'a' })).rejects.toThrow(/versions must increase/);
    await ch.client.command({ query: `DROP DATABASE ${ch.database}` });
    await ch.close();
  });
});

describe('ClickHouse migrations on a cluster', () => {
  it('every shipped statement runs ON CLUSTER; every table is a replicated local table under a Distributed one sharded by its sorting key; ClickHouse parses them all', async () => {
    const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `migr_cl_${process.pid}`);
    const migrations = [...telemetryMigrations({ rawTtlDays: 30 }), ...controlMigrations({ ttlDays: 30 }), ...historyMigrations(90)];
    const schemaMigrations: Migration = {
      version: 0,
      name: 'schema_migrations',
      sql: [SCHEMA_MIGRATIONS],
      shardBy: { schema_migrations: 'cityHash64(component)' },
    };
    const created = new Set<string>();
    let statements = 0;
    for (const m of [schemaMigrations, ...migrations]) {
      for (const sql of m.sql) {
        const rendered = renderStatements(sql, 'sluice', 'sluice-cluster', m.shardBy);
        for (const stmt of rendered) {
          statements++;
          expect(stmt).toContain('ON CLUSTER `sluice-cluster`');
          expect(stmt).not.toMatch(/ENGINE\s*=\s*(Replacing)?MergeTree/);
          // No Keeper or remote shards here to create the tables, but the parser is the real one.
          await expect(ch.client.query({ query: `EXPLAIN AST ${stmt}`, format: 'TabSeparated' }).then((r) => r.text())).resolves.toMatch(
            /^"?(Create|Alter)Query/,
          );
        }
        const table = /^\s*(?:CREATE|ALTER) TABLE (?:IF NOT EXISTS )?\{db\}\.(\w+)/.exec(sql)![1]!;
        if (/^\s*CREATE TABLE/.test(sql)) {
          created.add(table);
          // The local table: replicated, the shard's rows.
          expect(rendered).toHaveLength(2);
          expect(rendered[0]).toMatch(new RegExp(`^\\s*CREATE TABLE IF NOT EXISTS sluice\\.${table}_local ON CLUSTER`));
          expect(rendered[0]).toMatch(
            /ENGINE = Replicated(Replacing)?MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'(, version)?\)/,
          );
          // The Distributed table keeps the name every query uses.
          const key = m.shardBy![table]!;
          expect(rendered[1]).toBe(
            `CREATE TABLE IF NOT EXISTS sluice.${table} ON CLUSTER \`sluice-cluster\` AS sluice.${table}_local ENGINE = Distributed('sluice-cluster', 'sluice', '${table}_local', ${key})`,
          );
          // Deterministic and made of sorting-key columns only: the rows one key merges, and the rows of a
          // retried insert (same token), go to the same shard, so FINAL and insert dedup stay right.
          const orderBy = /ORDER BY \(?([\w\s,]+?)\)?\s*(?:TTL|SETTINGS|PARTITION|$)/s
            .exec(sql)![1]!
            .split(',')
            .map((c) => c.trim());
          const used = /^cityHash64\(([\w\s,]+)\)$/
            .exec(key)![1]!
            .split(',')
            .map((c) => c.trim());
          expect(orderBy, `${table} sorting key`).toEqual(expect.arrayContaining(used));
        } else {
          // An ALTER changes the local tables, then the Distributed one (which fills column defaults on insert).
          expect(created.has(table)).toBe(true);
          expect(rendered).toHaveLength(2);
          expect(rendered[0]).toMatch(new RegExp(`^\\s*ALTER TABLE sluice\\.${table}_local ON CLUSTER`));
          expect(rendered[1]).toMatch(new RegExp(`^\\s*ALTER TABLE sluice\\.${table} ON CLUSTER`));
        }
      }
    }
    expect(statements).toBeGreaterThan(20);
    expect([...created].sort()).toEqual(
      [
        'schema_migrations',
        'events_raw',
        'skillgroup_minute',
        'dead_letters',
        'agent_window',
        'extension_window',
        'interval_report',
        'route_decisions',
        'level_changes',
        'ticket_events',
        'sla_warnings',
        'alert_deliveries',
      ].sort(),
    );
    // Without a cluster, a statement is itself.
    expect(renderStatements('CREATE TABLE {db}.t{onCluster} (v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY v', 'db')).toEqual([
      'CREATE TABLE db.t (v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY v',
    ]);
    expect(() => renderStatements('SELECT 1', 'db', 'x`; DROP')).toThrow(/cluster name/);
    expect(() =>
      renderStatements('CREATE TABLE IF NOT EXISTS {db}.t{onCluster} (v UInt64) ENGINE = MergeTree ORDER BY v', 'db', 'c'),
    ).toThrow(/t needs a sharding key/);
    await ch.close();
  });
});
