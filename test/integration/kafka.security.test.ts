import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { loadConfig } from '../../app/config.js';
import { startSluice } from '../../app/main.js';
import { kafkaBusOptions } from '../../app/prerequisites.js';
import { startKafka, type KafkaBroker } from '../../services/kafka.js';
import { makeTestCertificates, type TestCertificates } from '../../services/tls.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';

const USER = { username: 'sluice', password: 'sluice-kafka-secret' };
const ADMIN = 'kafkasec-acme-admin-key-00001';
const DB = `kafkasec_${process.pid}`;

/** Produces one message and reads it back through a bus built from `env`'s settings, as `sluice start` builds it. */
async function roundTrip(env: Record<string, string>, topic: string): Promise<string> {
  const config = loadConfig({ SLUICE_API_KEYS: `${ADMIN}:acme:admin`, ...env });
  const bus = new KafkaBus(kafkaBusOptions(config, undefined));
  try {
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send(topic, [{ key: 'k', value: `hello ${topic}` }]);
    const consumer = bus.consumer({ groupId: `g-${topic}`, topics: [topic], from: 'earliest' });
    const got = new Promise<string>((resolve) => {
      void consumer.start(async (batch) => resolve(batch.messages[0]!.value.toString()));
    });
    return await got;
  } finally {
    await bus.close();
  }
}

// Kafka as a secured cluster runs it (issue 21): a broker of the project's own with SASL_PLAINTEXT and SASL_SSL
// listeners (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), TLS with a CA made for the test.
describe('Kafka TLS and SASL against a real broker', () => {
  let broker: KafkaBroker;
  let certs: TestCertificates;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-tls-'));
    certs = makeTestCertificates(dir);
    broker = await startKafka({ heap: '384m', sasl: { users: [USER] }, tls: { keystoreFile: certs.keystoreFile } });
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
    const ch = await connectClickHouse(clickhouseServer());
    await ch.client.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
    await ch.close();
  });

  const sasl = (mechanism: string) => ({
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: USER.username,
    KAFKA_SASL_PASSWORD: USER.password,
  });

  it('authenticates with each SASL mechanism over SASL_PLAINTEXT', async () => {
    for (const m of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      expect(await roundTrip({ KAFKA_BROKERS: broker.saslBrokers!, ...sasl(m) }, `sasl-${m}`)).toBe(`hello sasl-${m}`);
    }
  });

  it('speaks TLS with the CA file and SCRAM over SASL_SSL', async () => {
    expect(
      await roundTrip({ KAFKA_BROKERS: broker.saslSslBrokers!, KAFKA_SSL_CA_FILE: certs.caFile, ...sasl('scram-sha-512') }, 'tls-scram'),
    ).toBe('hello tls-scram');
  });

  it('refuses the start with a wrong password, and TLS without the CA, saying why', async () => {
    const start = (env: Record<string, string>) =>
      startSluice(
        loadConfig({
          SLUICE_API_KEYS: `${ADMIN}:acme:admin`,
          SLUICE_ROLE: 'pipeline',
          ...clickhouseEnv(),
          CLICKHOUSE_DATABASE: DB,
          PORT: '0',
          ...env,
        }),
        { logger: pino({ level: 'silent' }), httpLogger: false },
      );
    await expect(start({ KAFKA_BROKERS: broker.saslBrokers!, ...sasl('scram-sha-256'), KAFKA_SASL_PASSWORD: 'wrong' })).rejects.toThrow(
      /SASL SCRAM SHA256 authentication failed|Authentication failed/,
    );
    await expect(start({ KAFKA_BROKERS: broker.saslSslBrokers!, KAFKA_SSL: 'true', ...sasl('plain') })).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  it('sluice start with SASL over TLS is ready, and a replication factor the cluster cannot meet stops it naming the variable', async () => {
    const env = {
      SLUICE_API_KEYS: `${ADMIN}:acme:admin`,
      KAFKA_BROKERS: broker.saslSslBrokers!,
      KAFKA_SSL_CA_FILE: certs.caFile,
      ...sasl('scram-sha-512'),
      ...clickhouseEnv(),
      CLICKHOUSE_DATABASE: DB,
      PORT: '0',
    };
    const s = await startSluice(loadConfig(env), { logger: pino({ level: 'silent' }), httpLogger: false });
    try {
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    } finally {
      await s.close();
    }
    await expect(
      startSluice(loadConfig({ ...env, KAFKA_TOPIC_PREFIX: 'rf3', KAFKA_REPLICATION_FACTOR: '3' }), {
        logger: pino({ level: 'silent' }),
        httpLogger: false,
      }),
    ).rejects.toThrow(/KAFKA_REPLICATION_FACTOR=3: the brokers refused to create Sluice.s topics: .*INVALID_REPLICATION_FACTOR/);
  });
});
