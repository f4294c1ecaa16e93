import { Kafka, type Producer, type ProducerRecord } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaBus } from './kafka.js';

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
