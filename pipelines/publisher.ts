import type { BusProducer } from '../adapters/bus/types.js';
import { entityOf } from './store/clickhouse.js';
import type { TelemetryEvent } from './events/types.js';
import { partitionKey, topicFor } from './topics.js';

/**
 * Puts normalized events on the bus: one topic per source, keyed by tenant + entity so one worker
 * owns each window. Used by HTTP ingest, the demo's traffic model and replay.
 */
export class EventPublisher {
  /** Events accepted by the bus. */
  published = 0;

  constructor(
    private readonly producer: BusProducer,
    private readonly topicPrefix = 'sluice',
  ) {}

  async publish(events: TelemetryEvent[]): Promise<void> {
    const byTopic = new Map<string, TelemetryEvent[]>();
    for (const e of events) {
      const t = topicFor(e.source, this.topicPrefix);
      let l = byTopic.get(t);
      if (!l) byTopic.set(t, (l = []));
      l.push(e);
    }
    for (const [topic, list] of byTopic) {
      await this.producer.send(
        topic,
        list.map((e) => ({ key: partitionKey(e.tenant, entityOf(e)), value: JSON.stringify(e), timestamp: e.ts })),
      );
      this.published += list.length;
    }
  }
}
