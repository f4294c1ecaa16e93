import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouse } from '../../adapters/clickhouse/connect.js';
import { chdbInserter, execInserter, type ChdbRawInsert } from '../../adapters/clickhouse/encoded-insert.js';
import { createChdbConnection } from 'chdb/connection';
import { createClient } from '@clickhouse/client';
import { ClickHouseTelemetryStore, rawEventsInsert } from '../../pipelines/store/clickhouse.js';
import { telemetryStoreContract } from '../../pipelines/store/store.contract.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { agentWindowRow } from '../../pipelines/testing/rows.js';
import { clickhouseServer, clickhouseTargets } from '../support/clickhouse.js';

for (const { name, target } of clickhouseTargets) {
  telemetryStoreContract(`ClickHouse, ${name}`, async () => {
    const ch = await connectClickHouse(target(), `contract_${process.pid}`);
    return ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
  });
}

const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

describe.each(clickhouseTargets)('raw events in ClickHouse ($name)', ({ target }) => {
  let ch: ClickHouse;
  let store: ClickHouseTelemetryStore;
  beforeAll(async () => {
    ch = await connectClickHouse(target(), `raw_${process.pid}`);
    store = await ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
  });
  afterAll(async () => {
    await store.close();
  });

  const rows = async (tenant: string) =>
    (
      await ch.client.query({
        query: `SELECT id, source, entity, type, toUnixTimestamp64Milli(ts) AS ts, body FROM ${ch.database}.events_raw FINAL WHERE tenant = {t:String} ORDER BY id`,
        query_params: { t: tenant },
        format: 'JSONEachRow',
      })
    ).json<{ id: string; source: string; entity: string; type: string; ts: string | number; body: string }>();

  it('keeps each received text as its body, with the entity and type read from it, for every source', async () => {
    const events: TelemetryEvent[] = [
      { v: 1, tenant: 'r1', source: 'agent', id: 'a', ts: T0, body: { agentId: 'ag "7"', state: 'AUX', reason: 'lunch \u00e9 😀\n' } },
      { v: 1, tenant: 'r1', source: 'extension', id: 'b', ts: T0 + 1, body: { extension: '201; SELECT 1\n\n', state: 'BUSY' } },
      {
        v: 1,
        tenant: 'r1',
        source: 'skillgroup',
        id: 'c',
        ts: T0 + 2,
        body: { skillGroup: 'sales', callId: 'c1', type: 'ANSWERED', waitMs: 12 },
      },
      {
        v: 1,
        tenant: 'r1',
        source: 'interval',
        id: 'd',
        ts: T0 + 3,
        body: { scope: 'skillgroup', key: 'sales', intervalStart: T0, intervalSec: 900, offered: 3 },
      },
    ];
    // Pretty-printed with blank lines and a trailing newline: chDB would end inline data at an empty line.
    const texts = events.map((e) => `${JSON.stringify(e, null, 1).replace('{', '{\n\r\n')}\n\n`);
    await store.insertEvents(
      events,
      'r1',
      texts.map((t) => Buffer.from(t)),
    );
    const got = await rows('r1');
    expect(got.map((r) => [r.id, r.source, r.entity, r.type, Number(r.ts)])).toEqual([
      ['a', 'agent', 'ag "7"', 'AUX', T0],
      ['b', 'extension', '201; SELECT 1\n\n', 'BUSY', T0 + 1],
      ['c', 'skillgroup', 'sales', 'ANSWERED', T0 + 2],
      ['d', 'interval', 'skillgroup:sales', '900', T0 + 3],
    ]);
    expect(got.map((r) => JSON.parse(r.body))).toEqual(events.map((e) => e.body));
    // As received (line breaks aside): the spaced-out text, not a re-encoding.
    expect(got[2]!.body).not.toBe(JSON.stringify(events[2]!.body));
    expect(got[2]!.body.replace(/\s+/g, '')).toBe(JSON.stringify(events[2]!.body));
  });

  it('stores a batch whose text ClickHouse would read differently from the decoded events, under its token once', async () => {
    const body = '{"skillGroup":"sales","callId":"c1","type":"OFFERED"}';
    const texts = [
      `{"v":1,"tenant":"r2","source":"skillgroup","id":"e","ts":${T0 / 1000}e3,"body":${body}}`,
      `{"v":1,"tenant":"r2","source":"skillgroup","id":"f","ts":${T0},"body":${body}}`,
    ];
    const events = texts.map((t) => JSON.parse(t) as TelemetryEvent);
    await store.insertEvents(
      events,
      'r2',
      texts.map((t) => Buffer.from(t)),
    );
    await store.insertEvents(
      events,
      'r2',
      texts.map((t) => Buffer.from(t)),
    );
    const got = await rows('r2');
    expect(got.map((r) => [r.id, Number(r.ts), r.entity])).toEqual([
      ['e', T0, 'sales'],
      ['f', T0, 'sales'],
    ]);
    const [n] = await (
      await ch.client.query({ query: `SELECT count() AS n FROM ${ch.database}.events_raw WHERE tenant = 'r2'`, format: 'JSONEachRow' })
    ).json<{ n: string }>();
    expect(Number(n!.n)).toBe(2);
  });

  it('stores a row upsert without a token once however often it is retried, and a changed one beside it', async () => {
    const row = (agentId: string, version: number) =>
      agentWindowRow({ tenant: 'up', agentId, windowStart: T0, version, ms: { AVAILABLE: 60_000 } });
    const stored = async () =>
      Number(
        (
          await (
            await ch.client.query({
              query: `SELECT count() AS n FROM ${ch.database}.agent_window WHERE tenant = 'up'`,
              format: 'JSONEachRow',
            })
          ).json<{ n: string }>()
        )[0]!.n,
      );
    await store.upsertAgentWindows([row('a1', 1), row('a2', 1)]);
    await store.upsertAgentWindows([row('a1', 1), row('a2', 1)]);
    expect(await stored()).toBe(2);
    await store.upsertAgentWindows([row('a1', 2), row('a2', 1)]);
    expect(await stored()).toBe(4);
    expect((await store.agentWindows({ tenant: 'up', from: T0, to: T0 + 60_000 })).map((r) => [r.agentId, r.version])).toEqual([
      ['a1', 2],
      ['a2', 1],
    ]);
  });
});

describe('encoded inserts', () => {
  it('a server (exec with the body streamed over HTTP) and chDB (bytes handed over) store the same rows', async () => {
    const conn = createChdbConnection({ path: ':memory:' });
    const client = createClient({ connection: conn as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'] });
    const server = clickhouseServer();
    const http = createClient({ url: server.url, username: server.username, password: server.password });
    const enc = `enc_${process.pid}`;
    try {
      for (const [c, t] of [
        [http, 'a'],
        [client, 'b'],
      ] as const) {
        await c.command({ query: `CREATE DATABASE IF NOT EXISTS ${enc}` });
        await c.command({
          query: `CREATE TABLE ${enc}.${t} (tenant String, source String, id String, ts DateTime64(3, 'UTC'), entity String, type String, body String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
        });
      }
      const events: TelemetryEvent[] = Array.from({ length: 50 }, (_, i) => ({
        v: 1,
        tenant: 'x',
        source: 'skillgroup',
        id: `i${i}`,
        ts: T0 + i,
        body: { skillGroup: `g${i % 3}`, callId: `c${i}`, type: 'OFFERED' },
      }));
      const insert = rawEventsInsert(
        events,
        events.map((e) => Buffer.from(JSON.stringify(e))),
      );
      const viaExec = execInserter(http);
      const viaChdb = chdbInserter(conn.chdb as unknown as ChdbRawInsert);
      await viaExec({ ...insert, table: `${enc}.a`, settings: { ...insert.settings, insert_deduplication_token: 't1' } });
      await viaExec({ ...insert, table: `${enc}.a`, settings: { ...insert.settings, insert_deduplication_token: 't1' } });
      await viaChdb({ ...insert, table: `${enc}.b`, settings: { ...insert.settings, insert_deduplication_token: 't1' } });
      await viaChdb({ ...insert, table: `${enc}.b`, settings: { ...insert.settings, insert_deduplication_token: 't1' } });
      const read = async (c: typeof client, t: string) =>
        (
          await c.query({
            query: `SELECT * EXCEPT ts, toUnixTimestamp64Milli(ts) AS ms FROM ${enc}.${t} ORDER BY id`,
            format: 'JSONEachRow',
          })
        ).json();
      const a = await read(http, 'a');
      expect(a).toHaveLength(50);
      expect(await read(client, 'b')).toEqual(a);
      await expect(viaChdb({ ...insert, table: `${enc}.b; DROP TABLE ${enc}.a`, settings: {} })).rejects.toThrow(/identifier/);
      await expect(viaExec({ ...insert, table: `${enc}.b; DROP TABLE ${enc}.a`, settings: {} })).rejects.toThrow(/identifier/);
    } finally {
      await http.command({ query: `DROP DATABASE IF EXISTS ${enc}` });
      await http.close();
      await client.close();
    }
  });
});
