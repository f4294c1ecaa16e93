import { describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { migrate, type Migration } from '../../adapters/clickhouse/migrations.js';

describe('ClickHouse migrations (chDB)', () => {
  it('apply once per component, in order, and are safe to run again', async () => {
    const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `migr_${process.pid}`);
    const a: Migration[] = [
      { version: 1, name: 'one', sql: ['CREATE TABLE IF NOT EXISTS {db}.a1 (x UInt8) ENGINE = MergeTree ORDER BY x'] },
      { version: 2, name: 'two', sql: ['CREATE TABLE IF NOT EXISTS {db}.a2 (x UInt8) ENGINE = MergeTree ORDER BY x'] },
    ];
    const b: Migration[] = [{ version: 1, name: 'other one', sql: ['CREATE TABLE IF NOT EXISTS {db}.b1 (x UInt8) ENGINE = MergeTree ORDER BY x'] }];
    expect(await migrate(ch, a.slice(0, 1), { component: 'a' })).toEqual([1]);
    expect(await migrate(ch, a, { component: 'a' })).toEqual([2]);
    expect(await migrate(ch, a, { component: 'a' })).toEqual([]);
    expect(await migrate(ch, b, { component: 'b' })).toEqual([1]);
    const tables = await (await ch.client.query({ query: `SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`, query_params: { db: ch.database }, format: 'JSONEachRow' })).json<{ name: string }>();
    expect(tables.map((t) => t.name)).toEqual(['a1', 'a2', 'b1', 'schema_migrations']);
    await expect(migrate(ch, [a[1]!, a[0]!], { component: 'a' })).rejects.toThrow(/versions must increase/);
    await ch.close();
  });
});
