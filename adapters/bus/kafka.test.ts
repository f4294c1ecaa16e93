import { describe, expect, it } from 'vitest';
import { KafkaBus } from './kafka.js';

// The bus against a real broker is covered by test/integration/bus.kafka.test.ts (the shared contract).
describe('KafkaBus options', () => {
  it('refuses a bad partition concurrency and an empty broker list, naming the option', () => {
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], partitionsConcurrently: 0 })).toThrow(/partitionsConcurrently must be a whole number ≥ 1, got 0/);
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], partitionsConcurrently: 2.5 })).toThrow(/partitionsConcurrently/);
    expect(() => new KafkaBus({ brokers: [] })).toThrow(/at least one broker/);
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:1'], partitionsConcurrently: 24 })).not.toThrow();
  });
});
