import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { startKafka, type KafkaBroker } from '../../services/kafka.js';
import { readTopic } from '../support/process.js';

const KEY = 'kafka-ingest-admin-key-01';

/** Sluice on `brokers` (its own topics and group), chDB in memory. */
function start(brokers: string, prefix: string): Promise<Sluice> {
  const config = loadConfig({
    SLUICE_API_KEYS: `${KEY}:acme:admin`,
    SLUICE_TENANTS: 'acme',
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `${prefix}-group`,
    KAFKA_PARTITIONS: '2',
    CHDB_PATH: ':memory:',
    CLICKHOUSE_DATABASE: `${prefix}_${process.pid}`,
    PORT: '0',
    LOG_LEVEL: 'error',
  });
  return startSluice(config, { logger: pino({ level: 'silent' }), httpLogger: false });
}

let seq = 0;
/** Posts `n` new skill-group events of tenant acme; returns the answer and the ids sent. */
async function post(sluice: Sluice, n: number) {
  const events = Array.from({ length: n }, () => ({
    v: 1,
    tenant: 'acme',
    source: 'skillgroup',
    id: `ack-${process.pid}-${++seq}`,
    ts: Date.now() - 1_000,
    body: { skillGroup: 'sales', callId: `c${seq}`, type: 'OFFERED' },
  }));
  const r = await sluice.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${KEY}` },
    payload: { events },
  });
  return { r, ids: events.map((e) => e.id) };
}

describe('POST /v1/events on Kafka: 202 only once the brokers acknowledged the events', () => {
  const prefix = `ack${randomUUID().slice(0, 8)}`;
  const topic = `${prefix}.skillgroup`;
  let sluice: Sluice;
  let admin: Admin;

  beforeAll(async () => {
    sluice = await start(inject('kafkaBrokers'), prefix);
    admin = new Kafka({ brokers: [inject('kafkaBrokers')], clientId: 'ack-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await sluice?.close();
  });

  /** The largest record batch the broker takes on the topic, bytes (Kafka's default is about 1 MiB). */
  const maxMessageBytes = (n: number) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: String(n) }] }],
    });

  it('answers 503 with Retry-After, not 202, while the broker refuses the write; the events of every 202 are on the topic, those of the 503 are not', async () => {
    const before = await post(sluice, 10);
    expect(before.r.statusCode).toBe(202);

    await maxMessageBytes(64); // smaller than any batch of events: the broker refuses every write to the topic
    const during = await post(sluice, 10);
    expect(during.r.statusCode).toBe(503);
    expect(during.r.headers['retry-after']).toBe('5');
    expect(during.r.json().error).toMatchObject({ code: 'SLUICE_ERR_UNAVAILABLE', retriable: true });

    await maxMessageBytes(1_048_588);
    const after = await post(sluice, 10);
    expect(after.r.statusCode).toBe(202);

    const bus = new KafkaBus({ brokers: [inject('kafkaBrokers')], clientId: 'ack-reader' });
    try {
      const want = [...before.ids, ...after.ids];
      const read = await readTopic(bus, topic, (msgs) => want.every((id) => msgs.some((m) => m.value.toString().includes(`"${id}"`))));
      const onTopic = new Set(read.map((m) => (JSON.parse(m.value.toString()) as { id: string }).id));
      expect(want.filter((id) => !onTopic.has(id))).toEqual([]);
      expect(during.ids.filter((id) => onTopic.has(id))).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});

describe('POST /v1/events when the Kafka broker stops', () => {
  let broker: KafkaBroker | undefined;
  let sluice: Sluice | undefined;
  afterAll(async () => {
    await sluice?.close();
    await broker?.stop();
  });

  it('answers 503, not 202, once the broker is gone', async () => {
    broker = await startKafka({ heap: '256m' });
    sluice = await start(broker.brokers, `stop${randomUUID().slice(0, 8)}`);
    expect((await post(sluice, 10)).r.statusCode).toBe(202);
    await broker.stop();
    broker = undefined;
    const r = (await post(sluice, 10)).r;
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error).toMatchObject({ code: 'SLUICE_ERR_UNAVAILABLE', retriable: true });
  });
});
