import type { TestProject } from 'vitest/node';
import { startKafka, type KafkaBroker } from '../../services/kafka.js';
import { startRedis, type RedisServer } from '../../services/redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    redisUrl: string;
  }
}

let kafka: KafkaBroker | undefined;
let redis: RedisServer | undefined;

/**
 * Starts the real services the integration tests talk to: one Apache Kafka broker (KRaft, jars from
 * Maven Central, cached) and one redis-server, each on a free loopback port. A service that cannot be
 * started fails the run with the reason; nothing is skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  const log = (l: string) => console.log(`[services] ${l}`);
  [kafka, redis] = await Promise.all([startKafka({ log }), startRedis()]);
  log(`redis-server listening on ${redis.url}`);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await Promise.all([kafka?.stop(), redis?.stop()]);
}
