import type { BusProducer } from '../adapters/bus/types.js';
import type { DeadLetter, TelemetryStore } from './store/types.js';

/** Where refused input goes, with its reason and original bytes. */
export interface DeadLetterSink {
  /** Writes dead letters; `token` makes a retried write idempotent where the sink supports it. */
  write(rows: DeadLetter[], token: string): Promise<void>;
}

/** Dead letters in the ClickHouse `dead_letters` table (the sink when Kafka is off). */
export function storeDeadLetters(store: TelemetryStore): DeadLetterSink {
  return { write: (rows, token) => store.insertDeadLetters(rows, token) };
}

/**
 * Dead letters on a Kafka topic (the sink when Kafka is on): the original bytes as the value, keyed by
 * origin, with `code`, `reason`, `source`, `tenant`, `origin` and `received-at` headers. A retried write
 * may repeat a message; `origin` identifies it.
 */
export function topicDeadLetters(producer: BusProducer, topic: string): DeadLetterSink {
  return {
    write: async (rows) => {
      if (rows.length === 0) return;
      await producer.send(
        topic,
        rows.map((r) => ({
          key: r.origin,
          value: r.payload,
          timestamp: r.receivedAt,
          headers: { code: r.code, reason: r.reason, source: r.source, tenant: r.tenant, origin: r.origin, 'received-at': String(r.receivedAt) },
        })),
      );
    },
  };
}
