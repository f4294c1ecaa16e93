import { describe, expect, it } from 'vitest';
import { classify, insertData, outsideReach } from './clickhouse-sql.js';

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

describe('outsideReach (the read-only endpoint of sluice demo)', () => {
  it('lets dashboard queries through', () => {
    expect(
      outsideReach(
        "SELECT toStartOfInterval(ts, INTERVAL 60 second) AS time, target, count() AS n FROM sluice.route_decisions WHERE tenant = 'demo' AND ts >= now() - INTERVAL 1 HOUR GROUP BY time, target ORDER BY time FORMAT JSON",
      ),
    ).toBeUndefined();
    // Names of columns, aliases, literals and comments are not calls.
    expect(outsideReach("SELECT file, url AS s3 FROM t WHERE x = 'file(\\'/etc/passwd\\')' /* url('x') */")).toBeUndefined();
  });

  it('refuses INTO OUTFILE, functions reaching files, URLs, servers or programs in any case, and calls through quoted names', () => {
    expect(outsideReach("SELECT 1 INTO OUTFILE '/tmp/x'")).toBe('INTO OUTFILE');
    expect(outsideReach("SELECT * FROM file('/etc/passwd', 'LineAsString')")).toBe('file()');
    expect(outsideReach("SELECT * FROM FiLe ('/etc/passwd')")).toBe('FiLe()');
    expect(outsideReach("SELECT file('/etc/passwd')")).toBe('file()');
    expect(outsideReach("SELECT * FROM url('http://169.254.169.254/', 'LineAsString')")).toBe('url()');
    expect(outsideReach("SELECT * FROM remote('db:9000', system.one)")).toBe('remote()');
    expect(outsideReach("SELECT * FROM executable('x.sh', 'TSV', 'a String')")).toBe('executable()');
    expect(outsideReach("SELECT * FROM s3Cluster('c', 'https://b/x')")).toBe('s3Cluster()');
    expect(outsideReach("SELECT * FROM `file`('/etc/passwd')")).toMatch(/quoted name/);
    expect(outsideReach('SELECT * FROM "url"(\'http://x\')')).toMatch(/quoted name/);
    expect(outsideReach("WITH (SELECT 1) AS a SELECT * FROM t WHERE a IN (SELECT * FROM postgresql('h:5432', 'db', 't', 'u', 'p'))")).toBe(
      'postgresql()',
    );
  });
});
