/**
 * Where generated or replayed traffic goes. A {@link TrafficSink} takes batches of normalized events;
 * the in-process and Kafka sinks are the same {@link EventPublisher} (one topic per source, keyed by
 * tenant + entity) over a different bus; the HTTP sink lives in `http-sink.ts`.
 */
import { KafkaBus } from '../adapters/bus/kafka.js';
import type { MessageBus } from '../adapters/bus/types.js';
import { SOURCES, type TelemetryEvent } from '../pipelines/events/types.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { topicFor } from '../pipelines/topics.js';

/** Takes batches of events; resolves once the destination accepted them. */
export interface TrafficSink {
  send(events: TelemetryEvent[]): Promise<void>;
  /** Releases connections; absent when there is nothing to release. */
  close?(): Promise<void>;
}

/** A sink that publishes to the bus behind `publisher` (the in-process bus of an embedded Sluice, or Kafka). */
export function publisherSink(publisher: EventPublisher): TrafficSink {
  return { send: (events) => publisher.publish(events) };
}

/** Options of {@link busSink}. */
export interface BusSinkOptions {
  /** Topic prefix (default `sluice`, as Sluice's own `KAFKA_TOPIC_PREFIX`). */
  readonly topicPrefix?: string;
  /** Partitions of topics that do not exist yet (default 6, as `KAFKA_PARTITIONS`). */
  readonly partitions?: number;
}

/**
 * A sink over any message bus: creates the four source topics if missing, opens a producer, and
 * publishes through an {@link EventPublisher}. `close()` closes the producer and the bus.
 */
export async function busSink(bus: MessageBus, o: BusSinkOptions = {}): Promise<TrafficSink & { close(): Promise<void> }> {
  const prefix = o.topicPrefix ?? 'sluice';
  await bus.ensureTopics(SOURCES.map((s) => ({ topic: topicFor(s, prefix), partitions: o.partitions ?? 6 })));
  const producer = await bus.producer();
  const sink = publisherSink(new EventPublisher(producer, prefix));
  return {
    send: sink.send,
    close: async () => {
      await producer.close();
      await bus.close();
    },
  };
}

/**
 * A sink to Apache Kafka: {@link busSink} over a {@link KafkaBus}.
 * @param brokers bootstrap brokers, e.g. `['127.0.0.1:9092']`
 */
export function kafkaSink(brokers: string[], o: BusSinkOptions = {}): Promise<TrafficSink & { close(): Promise<void> }> {
  return busSink(new KafkaBus({ brokers, clientId: 'sluice-traffic' }), o);
}

/** A writable text stream, as `process.stdout` is. */
export interface TextOut {
  /** Returns false when the stream wants the writer to wait for `drain`. */
  write(chunk: string): unknown;
  on?(event: 'drain' | 'error' | 'close', listener: (err?: Error) => void): unknown;
  off?(event: 'drain' | 'error' | 'close', listener: (err?: Error) => void): unknown;
}

/**
 * A sink writing one JSON event per line (NDJSON) to `out`. It waits for `drain` when the stream asks
 * to, and once the stream failed (e.g. EPIPE: the reader went away) every send throws that error.
 */
export function ndjsonSink(out: TextOut): TrafficSink {
  let broken: Error | undefined;
  out.on?.('error', (err) => void (broken ??= err ?? new Error('output stream failed')));
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        for (const e of ['drain', 'close', 'error'] as const) out.off?.(e, done);
        resolve();
      };
      for (const e of ['drain', 'close', 'error'] as const) out.on!(e, done);
    });
  return {
    send: async (events) => {
      if (broken) throw broken;
      if (events.length === 0) return;
      const ok = out.write(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
      if (ok === false && out.on) await drained();
      if (broken) throw broken;
    },
  };
}
