/**
 * How callback tickets travel when control and workflow run in different processes: a Kafka topic
 * (`<prefix>callback-tickets`, group `sluice-workflow-callbacks`) when Kafka is configured, else a
 * Redis stream of the same name, else nowhere (control keeps them in memory, with a warning).
 * In one process control calls the workflow service directly and none of this runs.
 */
import type { Logger } from 'pino';
import type { MessageBus } from '../adapters/bus/types.js';
import type { Clock } from '../adapters/clock.js';
import { RedisStreamQueue } from '../adapters/queue/redis.js';
import type { CallbackTickets } from '../core/messages.js';
import { QueuedCallbackTickets } from '../control/tickets/queued.js';
import { CallbackQueueConsumer, consumeCallbackTopic } from '../workflow/callback-consumer.js';
import type { Config } from './config.js';

/** The consumer group of the workflow instances reading callback-ticket requests. */
export const CALLBACK_GROUP = 'sluice-workflow-callbacks';

/** The topic (Kafka) or stream key (Redis) carrying callback-ticket requests. */
export const callbackQueueName = (config: Readonly<Config>): string => `${config.kafkaTopicPrefix}callback-tickets`;

interface Deps {
  readonly config: Readonly<Config>;
  readonly bus: MessageBus;
  readonly log: Logger;
  /** Registers a step of the shutdown (run before the adapters close). */
  readonly onClose: (fn: () => Promise<void>) => void;
}

function redisQueue(config: Readonly<Config>, log: Logger): RedisStreamQueue {
  return new RedisStreamQueue({
    url: config.redisUrl!,
    stream: callbackQueueName(config),
    group: CALLBACK_GROUP,
    onStatus: (s, err) => {
      if (s === 'error') log.warn({ err: err?.message }, 'callback ticket queue: Redis unreachable');
    },
  });
}

/** Control without workflow in this process: the port that enqueues, or undefined (in-memory stand-in, warned). */
export async function callbackTicketsToQueue({ config, bus, log, onClose }: Deps): Promise<CallbackTickets | undefined> {
  if (config.kafkaBrokers) {
    const topic = callbackQueueName(config);
    await bus.ensureTopics([{ topic, partitions: config.kafkaPartitions }]);
    const producer = await bus.producer();
    onClose(() => producer.close());
    log.info({ topic }, 'callback tickets go to the workflow role through Kafka');
    return new QueuedCallbackTickets((key, body) => producer.send(topic, [{ key, value: body }]));
  }
  if (config.redisUrl) {
    const queue = redisQueue(config, log);
    onClose(() => queue.close());
    log.info({ stream: callbackQueueName(config) }, 'callback tickets go to the workflow role through a Redis stream');
    return new QueuedCallbackTickets((_key, body) => queue.add(body));
  }
  log.warn('callback tickets stay in this process: no Kafka or Redis configured, so the workflow role never sees them');
  return undefined;
}

/** Workflow without control in this process: starts reading the queue into `tickets`; stopped through `onClose`. */
export async function consumeCallbackQueue(
  { config, bus, log, onClose }: Deps,
  tickets: CallbackTickets,
  instanceId: string,
  clock: Clock,
): Promise<void> {
  if (config.kafkaBrokers) {
    const topic = callbackQueueName(config);
    await bus.ensureTopics([{ topic, partitions: config.kafkaPartitions }]);
    const consumer = bus.consumer({ groupId: CALLBACK_GROUP, topics: [topic] });
    await consumeCallbackTopic(consumer, tickets, log, clock);
    onClose(() => consumer.stop());
    log.info({ topic }, 'reading callback tickets from Kafka');
    return;
  }
  if (config.redisUrl) {
    const queue = redisQueue(config, log);
    const consumer = new CallbackQueueConsumer({ queue, tickets, consumer: instanceId, log, clock });
    consumer.start();
    onClose(async () => {
      await consumer.stop();
      await queue.close();
    });
    log.info({ stream: callbackQueueName(config) }, 'reading callback tickets from a Redis stream');
    return;
  }
  log.warn('no Kafka or Redis configured: this workflow instance receives no callback tickets from control instances');
}
