import type { TestProject } from 'vitest/node';
import { startClickHouseHttp, testPassword, type ClickHouseHttp } from '../../services/clickhouse-http.js';
import { startKafka, type KafkaBroker } from '../../services/kafka.js';
import { startRedis, type RedisServer } from '../../services/redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    redisUrl: string;
    /** chDB behind ClickHouse's HTTP interface (`services/clickhouse-http.ts`): `CLICKHOUSE_URL`. */
    clickhouseUrl: string;
    clickhouseUser: string;
    clickhousePassword: string;
  }
}

let kafka: KafkaBroker | undefined;
let redis: RedisServer | undefined;
let clickhouse: ClickHouseHttp | undefined;

/**
 * Starts the real services the integration tests talk to: one Apache Kafka broker (KRaft, jars from
 * Maven Central, cached), one redis-server, each on a free loopback port, and one ClickHouse HTTP
 * server (chDB behind ClickHouse's HTTP interface, in its own process, with a user and password so
 * the credential path is exercised). A service that cannot be started fails the run with the reason;
 * nothing is skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  const log = (l: string) => console.log(`[services] ${l}`);
  const password = testPassword();
  [kafka, redis, clickhouse] = await Promise.all([
    startKafka({ log }),
    startRedis(),
    startClickHouseHttp({ user: 'sluice', password, log: (l) => log(`clickhouse: ${l}`) }),
  ]);
  log(`redis-server listening on ${redis.url}`);
  log(`ClickHouse (chDB over HTTP) listening on ${clickhouse.url}`);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('redisUrl', redis.url);
  project.provide('clickhouseUrl', clickhouse.url);
  project.provide('clickhouseUser', 'sluice');
  project.provide('clickhousePassword', password);
}

export async function teardown(): Promise<void> {
  await Promise.all([kafka?.stop(), redis?.stop(), clickhouse?.stop()]);
}
