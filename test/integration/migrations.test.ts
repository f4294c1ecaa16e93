import { describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { migrate, renderStatement, type Migration } from '../../adapters/clickhouse/migrations.js';
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
  it('on a cluster, every shipped statement runs ON CLUSTER, every table is replicated, and ClickHouse parses them all', async () => {
    const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `migr_cl_${process.pid}`);
    const all = [...telemetryMigrations({ rawTtlDays: 30 }), ...controlMigrations({ ttlDays: 30 }), ...historyMigrations(90)].flatMap(
      (m) => m.sql,
    );
    expect(all.length).toBeGreaterThan(8);
    for (const sql of all) {
      const stmt = renderStatement(sql, 'sluice', 'sluice-cluster');
      expect(stmt).toContain('ON CLUSTER `sluice-cluster`');
      if (/^\s*CREATE TABLE/.test(stmt)) {
        expect(stmt).toMatch(
          /ENGINE = Replicated(Replacing)?MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'(, version)?\)/,
        );
        expect(stmt).not.toMatch(/ENGINE\s*=\s*(Replacing)?MergeTree/);
      }
      // No Keeper here to create replicated tables, but the parser is the real one.
      await expect(ch.client.query({ query: `EXPLAIN AST ${stmt}`, format: 'TabSeparated' }).then((r) => r.text())).resolves.toMatch(
        /^"?(Create|Alter)Query/,
      );
    }
    expect(renderStatement('CREATE TABLE {db}.t{onCluster} (v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY v', 'db')).toBe(
      'CREATE TABLE db.t (v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY v',
    );
    expect(() => renderStatement('SELECT 1', 'db', 'x`; DROP')).toThrow(/cluster name/);
    await ch.close();
  });
});
