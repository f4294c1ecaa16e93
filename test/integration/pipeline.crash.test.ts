import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import type { SkillGroupEvent } from '../../pipelines/events/types.js';
import { seededRandom } from '../../adapters/random.js';
import { partitionKey } from '../../pipelines/topics.js';
import { freePort } from '../../services/ports.js';
import { eventually } from '../../core/testing/eventually.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';
import { readTopic, spawnSluice, type SluiceProcess } from '../support/process.js';

const KEY = 'crash-test-platform-key-01';
const TYPES = ['OFFERED', 'OFFERED', 'ANSWERED', 'ABANDONED', 'COMPLETED'] as const;

interface Expected {
  offered: number;
  answered: number;
  abandoned: number;
}

/** A known stream: out of order within 3 s, 2% duplicates, 0.5% malformed; and its exact expected figures. */
function makeStream(base: number, n: number) {
  const rand = seededRandom(42);
  const events: SkillGroupEvent[] = [];
  for (let i = 0; i < n; i++) {
    const tenant = rand() < 0.5 ? 'acme' : 'globex';
    const sg = ['sales', 'support', 'billing', 'care'][Math.floor(rand() * 4)]!;
    const ts = base + Math.floor((i / n) * 30 * 60_000);
    events.push({
      v: 1,
      tenant,
      source: 'skillgroup',
      id: `ev-${i}`,
      ts,
      body: { skillGroup: sg, callId: `c-${i}`, type: TYPES[Math.floor(rand() * TYPES.length)]! },
    });
  }
  // Shuffle locally: each event moves at most ~3 s of event time.
  for (let i = 0; i < events.length; i++) {
    const j = Math.min(events.length - 1, i + Math.floor(rand() * 5));
    if (Math.abs(events[j]!.ts - events[i]!.ts) < 3_000) [events[i], events[j]] = [events[j]!, events[i]!];
  }
  const expected = new Map<string, Expected>();
  for (const e of events) {
    const k = `${e.tenant}|${e.body.skillGroup}|${Math.floor(e.ts / 60_000) * 60_000}`;
    const x = expected.get(k) ?? { offered: 0, answered: 0, abandoned: 0 };
    if (e.body.type === 'OFFERED') x.offered++;
    if (e.body.type === 'ANSWERED') x.answered++;
    if (e.body.type === 'ABANDONED') x.abandoned++;
    expected.set(k, x);
  }
  const messages: { key: string; value: string }[] = [];
  let malformed = 0;
  for (const e of events) {
    messages.push({ key: partitionKey(e.tenant, e.body.skillGroup), value: JSON.stringify(e) });
    if (rand() < 0.02) messages.push({ key: partitionKey(e.tenant, e.body.skillGroup), value: JSON.stringify(e) });
    if (rand() < 0.005) {
      malformed++;
      messages.push({ key: partitionKey(e.tenant, e.body.skillGroup), value: `{"v":1,"tenant":"${e.tenant}","source":"skillgroup","id":` });
    }
  }
  return { events, expected, messages, malformed };
}

async function totals(port: number, tenants: string[], from: number, to: number): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  for (const tenant of tenants) {
    const r = await fetch(`http://127.0.0.1:${port}/v1/reports/minutes?tenant=${tenant}&from=${from}&to=${to}`, {
      headers: { 'x-api-key': KEY },
    });
    if (!r.ok) throw new Error(`reports answered ${r.status}`);
    const body = (await r.json()) as {
      rows: { tenant: string; skillGroup: string; windowStart: number; offered: number; answered: number; abandoned: number }[];
    };
    for (const row of body.rows)
      out.set(`${row.tenant}|${row.skillGroup}|${row.windowStart}`, {
        offered: row.offered,
        answered: row.answered,
        abandoned: row.abandoned,
      });
  }
  return out;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'x-api-key': KEY } })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
}

describe('pipeline worker killed with SIGKILL mid-stream', () => {
  let proc: SluiceProcess | undefined;
  let reporting: SluiceProcess | undefined;
  afterAll(() => {
    proc?.child.kill('SIGKILL');
    reporting?.child.kill('SIGKILL');
  });

  it('restarts to exactly the totals of a worker that never stopped: no loss, no double count', async () => {
    const prefix = `crash${randomUUID().slice(0, 8)}`;
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 45 * 60_000;
    const { expected, messages, malformed, events } = makeStream(base, 30_000);
    const bus = new KafkaBus({ brokers: [inject('kafkaBrokers')] });
    await bus.ensureTopics(
      ['agent', 'extension', 'skillgroup', 'interval', 'deadletter'].map((s) => ({ topic: `${prefix}.${s}`, partitions: 3 })),
    );
    const producer = await bus.producer();
    for (let i = 0; i < messages.length; i += 2_000) await producer.send(`${prefix}.skillgroup`, messages.slice(i, i + 2_000));
    await producer.close();

    const env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}-g`,
      KAFKA_PARTITIONS: '3',
      // Both workers, one after the other, store through the real client's HTTP path into one ClickHouse.
      ...clickhouseEnv(),
      CLICKHOUSE_DATABASE: prefix,
      SLUICE_API_KEYS: `${KEY}:*:admin`,
      LOG_LEVEL: 'warn',
    };
    const port1 = await freePort();
    proc = spawnSluice(['start', '--role', 'pipeline', '--port', String(port1)], env);
    // Kill it once it has stored a part of the stream, in the middle of its work.
    await eventually(
      () => metric(port1, 'sluice_events_in_total'),
      (n) => n > 3_000,
      'first worker progress',
      90_000,
    );
    proc.child.kill('SIGKILL');
    expect(await proc.exited).toBeNull();

    const port2 = await freePort();
    proc = spawnSluice(['start', '--role', 'pipeline', '--port', String(port2)], env);
    // The totals are read as deployed: reports are the reporting role's, on the same ClickHouse.
    const port3 = await freePort();
    reporting = spawnSluice(['start', '--role', 'reporting', '--port', String(port3)], env);
    const got = await eventually(
      () => totals(port3, ['acme', 'globex'], base, base + 40 * 60_000),
      (t) => t.size === expected.size && [...expected].every(([k, v]) => JSON.stringify(t.get(k)) === JSON.stringify(v)),
      'exact totals after restart',
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc?.output()}\n${reporting?.output()}`);
    });
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
    // The worker itself serves no report: it names the role that does.
    const refused = await fetch(`http://127.0.0.1:${port2}/v1/reports/minutes?tenant=acme&from=${base}&to=${base + 60_000}`, {
      headers: { 'x-api-key': KEY },
    });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SLUICE_ERR_ROLE_ROUTE');
    for (const p of [proc, reporting]) {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
    proc = undefined;
    reporting = undefined;

    const ch = await connectClickHouse(clickhouseServer(), prefix);
    const [raw] = await (
      await ch.client.query({ query: `SELECT count() AS n, uniqExact(id) AS u FROM ${prefix}.events_raw FINAL`, format: 'JSONEachRow' })
    ).json<{ n: string; u: string }>();
    expect(Number(raw!.n)).toBe(events.length);
    await ch.client.command({ query: `DROP DATABASE IF EXISTS ${prefix}` });
    await ch.close();
    // Dead letters went to the dead-letter topic; a replayed range may repeat one, its origin identifies it.
    const dead = await readTopic(bus, `${prefix}.deadletter`, (m) => new Set(m.map((x) => x.headers.origin)).size >= malformed);
    expect(new Set(dead.map((x) => x.headers.origin)).size).toBe(malformed);
    expect(dead.every((x) => x.headers.code === 'malformed')).toBe(true);
    await bus.close();
  });
});
