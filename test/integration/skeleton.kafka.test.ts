import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { connectClickHouse, type ClickHouse } from '../../adapters/clickhouse/connect.js';
import { eventually } from '../../core/testing/eventually.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';
import { readTopic } from '../support/process.js';

const KEY = 'itest-admin-key-000000001';
const OTHER = 'itest-globex-admin-key-01';
const minute = (t: number) => Math.floor(t / 60_000) * 60_000;

describe('walking skeleton on real Kafka, redis-server and ClickHouse over HTTP', () => {
  let sluice: Sluice;
  let ch: ClickHouse;
  const prefix = `it${randomUUID().slice(0, 8)}`;
  const db = `skeleton_${process.pid}`;

  beforeAll(async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${KEY}:acme:admin,${OTHER}:globex:admin`,
      SLUICE_TENANTS: 'acme,globex',
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}-group`,
      KAFKA_PARTITIONS: '3',
      REDIS_URL: inject('redisUrl'),
      // ClickHouse as deployed: a server over HTTP (chDB behind ClickHouse's HTTP interface), with credentials.
      ...clickhouseEnv(),
      CLICKHOUSE_DATABASE: db,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
    ch = await connectClickHouse(clickhouseServer(), db);
  });
  afterAll(async () => {
    await sluice?.close();
    await ch?.client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await ch?.close();
  });

  it('counts offered/answered per skill group per minute from Kafka, exactly, with bad input dead-lettered', async () => {
    const base = minute(Date.now()) - 5 * 60_000;
    const ev = (id: string, sg: string, type: string, ts: number) => ({
      v: 1,
      tenant: 'acme',
      source: 'skillgroup',
      id,
      ts,
      body: { skillGroup: sg, callId: `call-${id}`, type },
    });
    const events = [
      ev('a1', 'sales', 'OFFERED', base + 1_000),
      ev('a2', 'sales', 'OFFERED', base + 3_000),
      ev('a3', 'sales', 'ANSWERED', base + 2_000), // out of order
      ev('a4', 'support', 'OFFERED', base + 10_000),
      ev('a5', 'sales', 'OFFERED', base + 70_000),
      ev('a6', 'sales', 'ABANDONED', base + 75_000),
    ];
    const post = (payload: Record<string, unknown>) =>
      sluice.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${KEY}` }, payload });
    expect((await post({ events: events.slice(0, 3) })).json()).toEqual({ accepted: 3, rejected: [] });
    expect((await post({ events: [...events.slice(2), events[0]] })).json()).toEqual({ accepted: 5, rejected: [] }); // a3 and a1 again
    // Bytes that are not JSON, straight onto the topic, as a broken collector would send them.
    const bus = new KafkaBus({ brokers: [inject('kafkaBrokers')] });
    const producer = await bus.producer();
    await producer.send(`${prefix}.skillgroup`, [{ key: 'acme|sales', value: Buffer.from('{"v":1,"tenant":') }]);
    await producer.close();

    const rows = await eventually(
      async () =>
        (await sluice.app.inject({ url: `/v1/reports/minutes?from=${base}&to=${base + 180_000}`, headers: { 'x-api-key': KEY } })).json()
          .rows as { skillGroup: string; windowStart: number; offered: number; answered: number; abandoned: number }[],
      (r) => r.length === 3 && r[0]!.offered === 2 && r[0]!.answered === 1,
      'minute rows in ClickHouse',
      60_000,
    );
    expect(
      rows.map(({ skillGroup, windowStart, offered, answered, abandoned }) => ({ skillGroup, windowStart, offered, answered, abandoned })),
    ).toEqual([
      { skillGroup: 'sales', windowStart: base, offered: 2, answered: 1, abandoned: 0 },
      { skillGroup: 'sales', windowStart: base + 60_000, offered: 1, answered: 0, abandoned: 1 },
      { skillGroup: 'support', windowStart: base, offered: 1, answered: 0, abandoned: 0 },
    ]);
    const raw = await (
      await ch.client.query({
        query: `SELECT count() AS n, uniqExact(id) AS u FROM ${db}.events_raw FINAL WHERE tenant = {t:String}`,
        query_params: { t: 'acme' },
        format: 'JSONEachRow',
      })
    ).json<{ n: string; u: string }>();
    expect(Number(raw[0]!.n)).toBe(6);
    // With Kafka on, dead letters go to the dead-letter topic with their reason, original bytes intact.
    const dead = await readTopic(bus, `${prefix}.deadletter`, (m) => m.length >= 1);
    await bus.close();
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value.toString()).toBe('{"v":1,"tenant":');
    expect(dead[0]!.headers).toMatchObject({ code: 'malformed', source: 'skillgroup' });
    expect(dead[0]!.headers.reason).toMatch(/^not JSON/);
    expect(dead[0]!.headers.origin).toMatch(new RegExp(`^${prefix}\\.skillgroup:\\d:\\d+$`));

    const rt = (await sluice.app.inject({ url: '/v1/realtime/skillgroups', headers: { 'x-api-key': KEY } })).json();
    const sales = rt.skillGroups.find((s: { skillGroup: string }) => s.skillGroup === 'sales');
    expect(sales.currentMinute).toMatchObject({ windowStart: base + 60_000, offered: 1, abandoned: 1 });
    expect(sales.previousMinute).toMatchObject({ windowStart: base, offered: 2, answered: 1 });

    const metrics = await sluice.metrics.registry.getSingleMetricAsString('sluice_events_dead_lettered_total');
    expect(metrics).toContain('sluice_events_dead_lettered_total{source="skillgroup",reason="malformed"} 1');
    expect((await sluice.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('serves the workflow API on Redis: a fee-reduction ticket opened from an intent, invisible to another tenant', async () => {
    const opened = await sluice.app.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { 'x-api-key': KEY },
      payload: { intent: 'fee_reduction', callId: 'call-1', fields: { amount: 200 }, title: 'Late fee' },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json().ticket.id as string;
    expect(opened.json().ticket).toMatchObject({ flow: { id: 'fee-reduction' }, nodeId: 'level1' });
    const got = await sluice.app.inject({ url: `/v1/tickets/${id}`, headers: { 'x-api-key': KEY } });
    expect(got.statusCode).toBe(200);
    const other = await sluice.app.inject({ url: `/v1/tickets/${id}`, headers: { 'x-api-key': OTHER } });
    expect(other.statusCode).toBe(404);
    const metrics = await sluice.metrics.registry.getSingleMetricAsString('sluice_workflow_ticket_transitions_total');
    expect(metrics).toMatch(/sluice_workflow_ticket_transitions_total\{tenant="[^"]+",state="active"\} [1-9]/);
  });
});
