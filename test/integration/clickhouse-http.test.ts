import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { clickHouseCode, isInsertRefused, refusalReason } from '../../adapters/clickhouse/errors.js';
import { startClickHouseHttp } from '../../services/clickhouse-http.js';
import { clickhouseServer } from '../support/clickhouse.js';

const db = `chhttp_${process.pid}`;

/** Strings that break naive quoting, escaping or statement splitting. */
const HOSTILE = [
  "it's",
  'back\\slash',
  "\\'; DROP TABLE victim; --",
  "'); DROP TABLE victim; --",
  'tab\there',
  'line\nbreak\r\n',
  '\\N',
  'NULL',
  '{x:String}',
  '\n\nDROP TABLE victim',
  'ünïcödé 😀 \u2028',
  '`"\'',
  'x'.repeat(5_000),
];

describe('ClickHouse HTTP server (chDB behind the HTTP interface), through the real @clickhouse/client', () => {
  const server = clickhouseServer();
  let client: ClickHouseClient;
  const auth = `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;
  const raw = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: auth, ...(init.headers as Record<string, string>) } });
  const victimExists = async () =>
    (await client.query({ query: `EXISTS TABLE ${db}.victim`, format: 'TabSeparated' }).then((r) => r.text())).trim() === '1';

  beforeAll(async () => {
    client = createClient({ url: server.url, username: server.username, password: server.password });
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
    await client.command({
      query: `CREATE TABLE ${db}.t (id String, s String, n UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
    });
    await client.command({ query: `CREATE TABLE ${db}.victim (x UInt8) ENGINE = MergeTree ORDER BY x` });
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await client.close();
  });

  it('answers /ping like ClickHouse, without credentials', async () => {
    const get = await fetch(`${server.url}/ping`);
    expect([get.status, await get.text()]).toEqual([200, 'Ok.\n']);
    expect((await fetch(`${server.url}/ping`, { method: 'HEAD' })).status).toBe(200);
    expect(await client.ping()).toEqual({ success: true });
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
  });

  it('inserts JSONEachRow and reads it back with bound parameters, hostile strings exactly as given', async () => {
    const rows = HOSTILE.map((s, i) => ({ id: `h${String(i).padStart(2, '0')}`, s, n: i }));
    await client.insert({ table: `${db}.t`, values: rows, format: 'JSONEachRow' });
    for (const s of HOSTILE) {
      const [row] = await (
        await client.query({
          query: `SELECT {s:String} AS echoed, (SELECT count() FROM ${db}.t WHERE s = {s:String}) AS n`,
          query_params: { s },
          format: 'JSONEachRow',
        })
      ).json<{ echoed: string; n: string }>();
      expect(row!.echoed).toBe(s);
      expect(Number(row!.n)).toBe(1);
    }
    const got = await (
      await client.query({
        query: `SELECT id, s, n FROM ${db}.t WHERE s IN {all:Array(String)} AND n >= {min:UInt32} ORDER BY id`,
        query_params: { all: HOSTILE, min: 0 },
        format: 'JSONEachRow',
      })
    ).json<{ id: string; s: string; n: number }>();
    expect(got).toEqual(rows);
    const [nul] = await (
      await client.query({ query: 'SELECT {v:Nullable(String)} IS NULL AS isNull', query_params: { v: null }, format: 'JSONEachRow' })
    ).json<{ isNull: number }>();
    expect(nul!.isNull).toBe(1);
    // Parameters sent as a multipart body (the client's use_multipart_params) bind the same way.
    const multipart = createClient({ url: server.url, username: server.username, password: server.password, use_multipart_params: true });
    const [m] = await (
      await multipart.query({
        query: 'SELECT {s:String} AS s, {a:Array(String)} AS a',
        query_params: { s: HOSTILE[2], a: HOSTILE },
        format: 'JSONEachRow',
      })
    ).json<{ s: string; a: string[] }>();
    expect(m).toEqual({ s: HOSTILE[2], a: HOSTILE });
    await multipart.close();
    expect(await victimExists()).toBe(true);
  });

  it('never runs what follows an empty line of an insert body, nor a second statement', async () => {
    const insert = (format: string, body: string) =>
      raw(`/?query=${encodeURIComponent(`INSERT INTO ${db}.t FORMAT ${format}`)}`, { method: 'POST', body });
    // JSON rows: blank lines are whitespace between rows; the "statement" after them is a bad row.
    const json = await insert('JSONEachRow', `{"id":"j1","s":"a","n":1}\n\nDROP TABLE ${db}.victim\n`);
    expect(json.status).toBe(400);
    expect(json.headers.get('x-clickhouse-exception-code')).toBe('27');
    const jsonOk = await insert('JSONEachRow', `{"id":"j2","s":"a","n":1}\n\n\r\n{"id":"j3","s":"b","n":2}\n\n`);
    expect(jsonOk.status).toBe(200);
    expect(JSON.parse(jsonOk.headers.get('x-clickhouse-summary')!).written_rows).toBe('2');
    // Other formats: refused whole, nothing stored.
    const tsv = await insert('TabSeparated', `t1\ta\t1\n\nDROP TABLE ${db}.victim\n`);
    expect(tsv.status).toBe(501);
    expect(await tsv.text()).toMatch(/^Code: 48\. DB::Exception: .*\(NOT_IMPLEMENTED\) \(version /);
    const multi = await raw('/', { method: 'POST', body: `SELECT 1; DROP TABLE ${db}.victim` });
    expect([multi.status, multi.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
    expect(await multi.text()).toContain('Multi-statements are not allowed');
    // A semicolon inside a literal, and one at the end, are one statement.
    const one = await raw('/', { method: 'POST', body: "SELECT ';' AS x FORMAT JSONEachRow;" });
    expect(await one.text()).toBe('{"x":";"}\n');
    expect(await victimExists()).toBe(true);
    const ids = await (
      await client.query({ query: `SELECT id FROM ${db}.t WHERE id LIKE 'j%' OR id LIKE 't%' ORDER BY id`, format: 'JSONEachRow' })
    ).json();
    expect(ids).toEqual([{ id: 'j2' }, { id: 'j3' }]);
  });

  it('answers errors as ClickHouse does, so they classify the same as in-process chDB', async () => {
    const inProcess = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `${db}_mirror`);
    const overHttp = await connectClickHouse(server, db);
    try {
      const ddl = `CREATE TABLE IF NOT EXISTS {db}.typed (id String, n UInt8, ts DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id`;
      for (const ch of [inProcess, overHttp]) await ch.client.command({ query: ddl.replace('{db}', ch.database) });
      const cases: { why: string; run: (database: string) => Parameters<typeof overHttp.insertEncoded>[0] | string }[] = [
        { why: 'unparsable row', run: (d) => encoded(d, 'typed', '{"id":"a","n":"not a number","ts":0}\n') },
        { why: 'bad date', run: (d) => encoded(d, 'typed', '{"id":"a","n":1,"ts":"yesterday"}\n') },
        { why: 'missing table', run: (d) => encoded(d, 'nope', '{"id":"a"}\n') },
        { why: 'missing database', run: () => encoded('nodb_here', 'typed', '{"id":"a"}\n') },
        { why: 'syntax', run: () => 'SELEC 1' },
        { why: 'unknown function', run: () => 'SELECT nosuchfunction(1)' },
      ];
      for (const c of cases) {
        const results = [];
        for (const ch of [inProcess, overHttp]) {
          const op = c.run(ch.database);
          const err = await (typeof op === 'string' ? ch.client.query({ query: op }) : ch.insertEncoded(op)).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, c.why).toBeDefined();
          results.push({ code: clickHouseCode(err), refused: isInsertRefused(err) });
          expect(refusalReason(err)).toMatch(/^ClickHouse code \d+/);
        }
        expect(results[1], c.why).toEqual(results[0]);
      }
      const status = async (query: string) => {
        const r = await raw('/', { method: 'POST', body: query });
        return [r.status, r.headers.get('x-clickhouse-exception-code'), await r.text()];
      };
      expect(await status(`SELECT * FROM ${db}.missing`)).toEqual([
        404,
        '60',
        expect.stringMatching(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version [^)]+\)\)\n$/s),
      ]);
      expect(await status('SELEC 1')).toEqual([400, '62', expect.stringMatching(/\(SYNTAX_ERROR\)/)]);
      expect(await status('SELECT throwIf(1)')).toEqual([500, '395', expect.stringMatching(/\(FUNCTION_THROW_IF_VALUE_IS_NON_ZERO\)/)]);
    } finally {
      await inProcess.close();
      await overHttp.close();
    }
  });

  it('refuses a wrong password, a wrong user and no credentials with AUTHENTICATION_FAILED (not an insert refusal)', async () => {
    for (const creds of [{ username: server.username, password: 'wrong' }, { username: 'default', password: server.password }, {}]) {
      const bad = createClient({ url: server.url, ...creds });
      const err = await bad.query({ query: 'SELECT 1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await bad.close();
      expect(clickHouseCode(err)).toBe(516);
      expect(isInsertRefused(err)).toBe(false);
    }
    const r = await fetch(`${server.url}/?query=SELECT%201`, {
      headers: { 'x-clickhouse-user': server.username!, 'x-clickhouse-key': 'nope' },
    });
    expect([r.status, r.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']);
    const ok = await fetch(`${server.url}/?query=SELECT%201`, {
      headers: { 'x-clickhouse-user': server.username!, 'x-clickhouse-key': server.password! },
    });
    expect([ok.status, await ok.text()]).toEqual([200, '1\n']);
  });

  it('applies settings to their request only, dedups by insert token, reads GET as read-only, and honours the database', async () => {
    const setting = async (settings: Record<string, string | number>) =>
      (await client.query({ query: "SELECT getSetting('max_threads') AS v", clickhouse_settings: settings, format: 'JSONEachRow' })).json<{
        v: string | number;
      }>();
    const before = await setting({});
    expect(await setting({ max_threads: 3 })).toEqual([{ v: 3 }]);
    expect(await setting({})).toEqual(before);
    const row = [{ id: 'dedup', s: '', n: 0 }];
    for (let i = 0; i < 3; i++)
      await client.insert({
        table: `${db}.t`,
        values: row,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'tok-1' },
      });
    const count = async () =>
      Number(
        (
          await (
            await client.query({ query: `SELECT count() AS n FROM ${db}.t WHERE id = 'dedup'`, format: 'JSONEachRow' })
          ).json<{ n: string }>()
        )[0]!.n,
      );
    expect(await count()).toBe(1);
    const unknown = await client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting_here: 1 } as never }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(clickHouseCode(unknown)).toBe(115);

    const get = await raw(`/?query=${encodeURIComponent('SELECT 41 + 1 AS x')}&default_format=JSONEachRow`);
    expect([get.status, await get.text(), get.headers.get('x-clickhouse-format')]).toEqual([200, '{"x":42}\n', 'JSONEachRow']);
    const getDrop = await raw(`/?query=${encodeURIComponent(`DROP TABLE ${db}.victim`)}`);
    expect([getDrop.status, getDrop.headers.get('x-clickhouse-exception-code')]).toEqual([500, '164']);
    expect(await victimExists()).toBe(true);

    const scoped = createClient({ url: server.url, username: server.username, password: server.password, database: db });
    expect(
      await (await scoped.query({ query: "SELECT toString(count()) AS n FROM t WHERE id = 'dedup'", format: 'JSONEachRow' })).json(),
    ).toEqual([{ n: '1' }]);
    await scoped.close();
    // The database was for that request: the next one is in `default` again.
    expect(await (await client.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' })).json()).toEqual([
      { d: 'default' },
    ]);
  });

  it('takes gzip bodies, answers gzip when asked, and the query id it was given', async () => {
    const zipped = createClient({
      url: server.url,
      username: server.username,
      password: server.password,
      compression: { request: true, response: true },
    });
    await zipped.insert({ table: `${db}.t`, values: [{ id: 'gz', s: 'z'.repeat(10_000), n: 1 }], format: 'JSONEachRow' });
    const rs = await zipped.query({
      query: `SELECT length(s) AS l FROM ${db}.t WHERE id = 'gz'`,
      format: 'JSONEachRow',
      query_id: 'my-query-1',
    });
    expect(rs.query_id).toBe('my-query-1');
    expect(rs.response_headers['x-clickhouse-query-id']).toBe('my-query-1');
    expect(rs.response_headers['content-encoding']).toBe('gzip');
    expect(await rs.json()).toEqual([{ l: 10_000 }]);
    await zipped.close();
  });
});

describe('a ClickHouse HTTP server of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chhttp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bounds the request body, and keeps its data across a restart on the same folder', async () => {
    let server = await startClickHouseHttp({ dataDir: dir, maxBodyBytes: 4_096 });
    try {
      let client = createClient({ url: server.url });
      await client.command({ query: 'CREATE DATABASE IF NOT EXISTS keep' });
      await client.command({ query: 'CREATE TABLE IF NOT EXISTS keep.t (id String) ENGINE = MergeTree ORDER BY id' });
      await client.insert({ table: 'keep.t', values: [{ id: 'stays' }], format: 'JSONEachRow' });
      const big = await fetch(`${server.url}/?query=${encodeURIComponent('INSERT INTO keep.t FORMAT JSONEachRow')}`, {
        method: 'POST',
        body: `{"id":"${'x'.repeat(5_000)}"}\n`,
      });
      expect([big.status, big.headers.get('x-clickhouse-exception-code')]).toEqual([413, expect.stringMatching(/^\d+$/)]);
      expect(await big.text()).toMatch(/\(QUERY_IS_TOO_LARGE\)/);
      await client.close();
      await server.stop();

      server = await startClickHouseHttp({ dataDir: dir });
      client = createClient({ url: server.url });
      expect(await (await client.query({ query: 'SELECT id FROM keep.t', format: 'JSONEachRow' })).json()).toEqual([{ id: 'stays' }]);
      await client.close();
    } finally {
      await server.stop();
    }
  });
});

function encoded(database: string, table: string, body: string) {
  return { table: `${database}.${table}`, format: 'JSONEachRow' as const, body: Buffer.from(body), settings: {} };
}
