import { describe, expect, it } from 'vitest';
import { classify, insertData } from './clickhouse-sql.js';

describe('classify', () => {
  it('finds where an insert’s inline data starts, past literals, comments and a column named format', () => {
    expect(classify('INSERT INTO db.t FORMAT JSONEachRow')).toEqual({
      kind: 'insert-data',
      prefix: 'INSERT INTO db.t FORMAT JSONEachRow',
      format: 'JSONEachRow',
      dataStart: 35,
    });
    const sql = "insert into t (format, `FORMAT x`) SETTINGS a = 'FORMAT CSV' /* FORMAT TSV */ format CSV\n1,2\n";
    const s = classify(sql);
    expect(s).toMatchObject({ kind: 'insert-data', format: 'CSV' });
    expect(sql.slice(s.kind === 'insert-data' ? s.dataStart : 0)).toBe('1,2\n');
    expect(classify('INSERT INTO t FORMAT JSONEachRow{"a":1}')).toMatchObject({ kind: 'insert-data', dataStart: 32 });
    expect(classify("INSERT INTO t VALUES ('a; b')")).toEqual({ kind: 'query', format: undefined, readOnly: false });
    expect(classify('INSERT INTO t SELECT 1 FORMAT TSV')).toMatchObject({ kind: 'query' });
  });

  it('tells one statement from several, whatever the literals and comments hold', () => {
    expect(classify('SELECT \';\', ";", `;` -- ;\n /* ; /* ; */ ; */ FORMAT JSONEachRow;')).toEqual({
      kind: 'query',
      format: 'JSONEachRow',
      readOnly: true,
    });
    expect(classify("SELECT 'it\\'s;'; DROP TABLE x")).toMatchObject({ kind: 'multi' });
    expect(classify("SELECT 'it''s'; DROP TABLE x")).toMatchObject({ kind: 'multi' });
    expect(classify('SELECT 1;;')).toMatchObject({ kind: 'query' });
    expect(classify('CREATE TABLE x (a UInt8) ENGINE = Memory')).toEqual({ kind: 'query', format: undefined, readOnly: false });
    expect(classify('  with a as (select 1) select * from a')).toMatchObject({ readOnly: true });
  });
});

describe('insertData', () => {
  it('drops blank lines of JSON rows and refuses an empty line inside any other format', () => {
    expect(insertData('JSONEachRow', Buffer.from('{"a":1}\n\n \r\n{"a":2}\n\n'))?.toString()).toBe('{"a":1}\n{"a":2}\n');
    expect(insertData('JSONEachRow', Buffer.from('\n{"a":1}'))?.toString()).toBe('{"a":1}\n');
    const same = Buffer.from('{"a":"é"}\n');
    expect(insertData('JSONCompactEachRow', same)).toBe(same);
    expect(insertData('TabSeparated', Buffer.from('a\nb\n\n\n'))?.toString()).toBe('a\nb\n');
    expect(insertData('TabSeparated', Buffer.from('a\n\nDROP TABLE x\n'))).toBeUndefined();
    expect(insertData('CSV', Buffer.from('\na\n'))).toBeUndefined();
    expect(insertData('JSONEachRow', Buffer.from('{"s":"ü😀"}\n\n{"s":"\u00ff"}'))?.toString('utf8')).toBe('{"s":"ü😀"}\n{"s":"\u00ff"}\n');
  });
});
