import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import type { BusMessage, GroupConsumer } from '../../adapters/bus/types.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { checkHostileIngest, storedCounts } from '../support/hostile-check.js';
import { eventually } from '../../core/testing/eventually.js';

const ACME = 'hostile-k-acme-admin-key1';
const GLOBEX = 'hostile-k-globex-admin-k1';

describe('POST /v1/events and the source topics under hostile input (real Kafka broker, chDB)', () => {
  let sluice: Sluice;
  let bus: KafkaBus;
  let reader: GroupConsumer;
  /** Everything on the dead-letter topic, read as it arrives. */
  const dead: BusMessage[] = [];
  const prefix = `hk${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ACME}:acme:admin,${GLOBEX}:globex:admin`,
      SLUICE_TENANTS: 'acme,globex',
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}-group`,
      KAFKA_PARTITIONS: '2',
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `hostile_kafka_${process.pid}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
    bus = new KafkaBus({ brokers: [inject('kafkaBrokers')] });
    reader = bus.consumer({ groupId: `${prefix}-reader`, topics: [`${prefix}.deadletter`] });
    await reader.start(async (batch) => {
      dead.push(...batch.messages);
    });
  });
  afterAll(async () => {
    await reader?.stop();
    await bus?.close();
    await sluice?.close();
  });

  it("never answers 5xx, stores every valid event once, dead-letters every invalid one on the topic with its reason, and keeps storing another tenant's events", async () => {
    const totals = await checkHostileIngest(
      {
        clickhouse: sluice.clickhouse,
        post: async (key, text) => {
          const r = await sluice.app.inject({
            method: 'POST',
            url: '/v1/events',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            payload: text,
          });
          return { status: r.statusCode, body: r.body };
        },
        deadLetters: async () =>
          dead
            .filter((m) => m.headers.source === 'http')
            .map((m) => ({ origin: m.headers.origin ?? '', reason: m.headers.reason ?? '', tenant: m.headers.tenant ?? '' })),
      },
      { keyA: ACME, keyB: GLOBEX, tenantB: 'globex', numRuns: 10, timeoutMs: 60_000 },
    );
    expect(totals.stored).toBeGreaterThan(3);
    expect(totals.deadLettered).toBeGreaterThan(3);
  });

  it('dead-letters poison put straight on the source topics with its reason, the bytes intact, and the partitions move on', async () => {
    const now = Date.now();
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const poison: [string, string, string][] = [
      [
        'skillgroup',
        `{"v":1,"tenant":"acme","source":"skillgroup","id":"p1","ts":${now},"body":{"skillGroup":"sg\\ud800x","callId":"c","type":"OFFERED"}}`,
        'schema: body.skillGroup must be text without control characters (NUL, line breaks, …) or lone surrogates',
      ],
      [
        'agent',
        `{"v":1,"tenant":"acme","source":"agent","id":"p2","ts":${now},"body":{"agentId":"a\\u0000","state":"AUX"}}`,
        'schema: body.agentId must be text without control characters (NUL, line breaks, …) or lone surrogates',
      ],
      [
        'interval',
        `{"v":1,"tenant":"acme","source":"interval","id":"p3","ts":${now},"body":{"scope":"agent","key":"a1","intervalStart":1e300,"intervalSec":900}}`,
        'schema: body.intervalStart must be <= 10413791999999',
      ],
      ['extension', `{"v":1,"tenant":"acme","source":"extension","id":"p4","ts":${now},"body":${deep}}`, 'schema: body must be object'],
      ['extension', deep, 'schema: event must be object'],
    ];
    const producer = await bus.producer();
    for (const [source, text] of poison) await producer.send(`${prefix}.${source}`, [{ key: 'acme|x', value: Buffer.from(text) }]);
    const later = ['skillgroup', 'agent', 'interval', 'extension'].map((source, i) => ({
      v: 1,
      tenant: 'acme',
      source,
      id: `later-${prefix}-${i}`,
      ts: now,
      body: {
        skillgroup: { skillGroup: 'sales', callId: 'c', type: 'OFFERED' },
        agent: { agentId: 'a1', state: 'AUX' },
        interval: { scope: 'agent', key: 'a1', intervalStart: now - 900_000, intervalSec: 900 },
        extension: { extension: '2001', state: 'IDLE' },
      }[source],
    }));
    for (const e of later) await producer.send(`${prefix}.${e.source}`, [{ key: 'acme|x', value: JSON.stringify(e) }]);
    await producer.close();
    const letters = await eventually(
      async () => dead.filter((m) => m.headers.source !== 'http'),
      (d) => d.length >= poison.length,
      'the poison on the dead-letter topic',
      60_000,
    );
    expect(letters.map((m) => [m.value.toString(), m.headers.code, m.headers.reason]).sort()).toEqual(
      poison.map(([, text, reason]) => [text, 'schema', reason]).sort(),
    );
    const stored = await eventually(
      () =>
        storedCounts(
          sluice.clickhouse,
          later.map((e) => e.id),
        ),
      (c) => c.size === later.length,
      'the later events stored',
      60_000,
    );
    expect([...stored.values()]).toEqual(later.map(() => 1));
  });
});
