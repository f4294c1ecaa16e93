import type { Source } from './events/types.js';

/** One Kafka topic per source, e.g. `sluice.skillgroup`; dead letters in `sluice.deadletter`. */
export function topicFor(source: Source, prefix = 'sluice'): string {
  return `${prefix}.${source}`;
}

/** Topic holding events that could not be decoded, with the reason in a header. */
export function deadLetterTopic(prefix = 'sluice'): string {
  return `${prefix}.deadletter`;
}

/**
 * The message key that routes an event: tenant + the entity whose windows it feeds, so one worker
 * owns each window (docs/architecture.md#data-flow).
 */
export function partitionKey(tenant: string, entity: string): string {
  return `${tenant}|${entity}`;
}
