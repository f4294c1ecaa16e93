import { Kafka, logLevel, type Producer, type ProducerRecord } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KAFKA_SASL_MECHANISMS, KafkaBus, kafkaLogLevel, kafkaSecurity } from './kafka.js';

// The bus against a real broker is covered by test/integration/bus.kafka.test.ts (the shared contract).
describe('KafkaBus options', () => {
  it('refuses a bad partition concurrency and an empty broker list, naming the option', () => {
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], partitionsConcurrently: 0 })).toThrow(
      /partitionsConcurrently must be a whole number ≥ 1, got 0/,
    );
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], partitionsConcurrently: 2.5 })).toThrow(/partitionsConcurrently/);
    expect(() => new KafkaBus({ brokers: [] })).toThrow(/at least one broker/);
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], partitionsConcurrently: 24 })).not.toThrow();
  });
});

describe('KafkaBus producer', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A bus whose kafkajs producer records the records sent and settles each send as `outcome` says. */
  function busWithProducer(outcome: () => Promise<unknown>) {
    const sent: ProducerRecord[] = [];
    const fake = {
      connect: async () => {},
      disconnect: async () => {},
      send: async (r: ProducerRecord) => (sent.push(r), outcome()),
    } as unknown as Producer;
    vi.spyOn(Kafka.prototype, 'producer').mockReturnValue(fake);
    return { bus: new KafkaBus({ brokers: ['127.0.0.1:1'] }), sent };
  }

  it('asks every in-sync replica to acknowledge (acks=all) and resolves only once the send did', async () => {
    let ack: (v: unknown) => void = () => {};
    const { bus, sent } = busWithProducer(() => new Promise((resolve) => (ack = resolve)));
    const producer = await bus.producer();
    let done = false;
    const sending = producer.send('t', [{ key: 'acme|sales', value: '{}', timestamp: 5 }]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual([{ topic: 't', acks: -1, messages: [{ key: 'acme|sales', value: '{}', timestamp: '5', headers: undefined }] }]);
    expect(done).toBe(false);
    ack([{ topicName: 't', partition: 0, errorCode: 0 }]);
    await sending;
    expect(done).toBe(true);
  });

  it('rejects when the brokers did not acknowledge, so ingest answers 503 rather than 202', async () => {
    const { bus } = busWithProducer(() => Promise.reject(new Error('KafkaJSNumberOfRetriesExceeded: NOT_ENOUGH_REPLICAS')));
    const producer = await bus.producer();
    await expect(producer.send('t', [{ key: 'k', value: '{}' }])).rejects.toThrow(/NOT_ENOUGH_REPLICAS/);
  });
});

describe("kafkajs log lines in Sluice's log (issue 21)", () => {
  it('keeps kafkajs levels and lowers routine rebalances and retried reconnects, never raising a line', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'Crash: KafkaJSProtocolError: The group is rebalancing, so a rejoin is needed')).toBe('info');
    expect(kafkaLogLevel(logLevel.WARN, 'The group is rebalancing, re-joining')).toBe('info');
    expect(kafkaLogLevel(logLevel.ERROR, 'Error when calling eachBatch', new Error('REBALANCE_IN_PROGRESS'))).toBe('info');
    expect(kafkaLogLevel(logLevel.ERROR, 'The coordinator is not aware of this member, re-joining the group')).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, 'Restarting the consumer in 300ms')).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, 'Failed to connect to broker, reconnecting')).toBe('warn');
    // kafkajs logs each retried broker answer at error (the Connection's "Response …" lines) before retrying it.
    expect(kafkaLogLevel(logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)', 'The group coordinator is not available')).toBe(
      'info',
    );
    expect(
      kafkaLogLevel(
        logLevel.ERROR,
        'Response Metadata(key: 3, version: 6)',
        'There is no leader for this topic-partition as we are in the middle of a leadership election',
      ),
    ).toBe('info');
    expect(kafkaLogLevel(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', 'This server does not host this topic-partition')).toBe(
      'info',
    );
    // What needs a person stays an error; what kafkajs says at info or debug is not raised by a match.
    expect(kafkaLogLevel(logLevel.ERROR, 'SASL PLAIN authentication failed: Authentication failed')).toBe('error');
    expect(kafkaLogLevel(logLevel.ERROR, 'Offset out of range, resetting to default offset')).toBe('error');
    expect(kafkaLogLevel(logLevel.INFO, 'Consumer has joined the group')).toBe('info');
    expect(kafkaLogLevel(logLevel.DEBUG, 'The group is rebalancing, re-joining')).toBe('debug');
  });

  it('writes each kafkajs line once, as structured fields, at the mapped level', async () => {
    const lines: { level: string; fields: Record<string, unknown>; msg: string | undefined }[] = [];
    const at = (level: string) => (fields: object, msg?: string) => lines.push({ level, fields: fields as Record<string, unknown>, msg });
    const bus = new KafkaBus({
      brokers: ['127.0.0.1:1'],
      log: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
      logLevel: 'warn',
    });
    // Nothing listens on port 1: the admin's connection fails, and kafkajs logs it (retried, so at warn).
    await expect(bus.ensureTopics([{ topic: 't', partitions: 1 }])).rejects.toThrow();
    await bus.close();
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(['warn', 'error']).toContain(l.level);
      expect(l.fields).toHaveProperty('kafka');
      expect(l.fields.kafka).not.toHaveProperty('timestamp');
      expect(typeof l.msg).toBe('string');
    }
    expect(lines.some((l) => l.level === 'warn' && /Connection error|ECONNREFUSED|reconnecting/.test(String(l.msg)))).toBe(true);
  }, 60_000);
});

describe('Kafka security and topic settings (issue 21)', () => {
  it('maps TLS and SASL settings to kafkajs options', () => {
    expect(kafkaSecurity({})).toEqual({});
    expect(kafkaSecurity({ ssl: true })).toEqual({ ssl: true });
    expect(kafkaSecurity({ ssl: { ca: 'CA', cert: 'CERT', key: 'KEY' } })).toEqual({ ssl: { ca: ['CA'], cert: 'CERT', key: 'KEY' } });
    expect(kafkaSecurity({ ssl: { ca: 'CA' } })).toEqual({ ssl: { ca: ['CA'] } });
    for (const mechanism of KAFKA_SASL_MECHANISMS) {
      expect(kafkaSecurity({ sasl: { mechanism, username: 'u', password: 'p' } })).toEqual({
        sasl: { mechanism, username: 'u', password: 'p' },
      });
    }
    expect(() => kafkaSecurity({ sasl: { mechanism: 'gssapi' as 'plain', username: 'u', password: 'p' } })).toThrow(
      /SASL mechanism must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"/,
    );
  });

  it('creates topics with the brokers default replication factor (-1) unless told, never a silent 1', async () => {
    const created: unknown[] = [];
    const admin = {
      connect: async () => {},
      disconnect: async () => {},
      listTopics: async () => ['exists'],
      createTopics: async (o: { topics: unknown[] }) => (created.push(...o.topics), true),
    };
    vi.spyOn(Kafka.prototype, 'admin').mockReturnValue(admin as unknown as ReturnType<Kafka['admin']>);
    await new KafkaBus({ brokers: ['127.0.0.1:1'] }).ensureTopics([
      { topic: 'exists', partitions: 6 },
      { topic: 'new', partitions: 6 },
    ]);
    await new KafkaBus({ brokers: ['127.0.0.1:1'], replicationFactor: 3 }).ensureTopics([{ topic: 'new3', partitions: 12 }]);
    vi.restoreAllMocks();
    expect(created).toEqual([
      { topic: 'new', numPartitions: 6, replicationFactor: -1 },
      { topic: 'new3', numPartitions: 12, replicationFactor: 3 },
    ]);
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], replicationFactor: 0 })).toThrow(/replicationFactor must be -1/);
  });
});
