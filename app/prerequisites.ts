/**
 * What a deployment needs of its services, turned from settings into client options and checked once at start
 * (README, "Deploying"): Kafka's TLS, SASL, client id and replication factor; Redis' persistence (a warning: a
 * Redis that forgets on restart loses tickets, timers and policies); ClickHouse's version and grants (a refusal:
 * without them a worker would retry an insert for ever).
 */
import { readFileSync } from 'node:fs';
import type { KafkaBusOptions, KafkaLogLevel } from '../adapters/bus/kafka.js';
import { checkClickHouseServer } from '../adapters/clickhouse/server-check.js';
import type { ClickHouse } from '../adapters/clickhouse/connect.js';
import { connectRedis } from '../adapters/redis/connect.js';
import { redisPersistence } from '../adapters/redis/persistence.js';
import type { Logger } from '../core/logger.js';
import type { Config } from './config.js';
import { appError } from './errors.js';

/** Kafka's level for Sluice's `LOG_LEVEL`: kafkajs' lines below it are not even formatted. */
function kafkaLevel(level: string): KafkaLogLevel {
  return level === 'debug' || level === 'trace' ? 'debug' : level === 'info' ? 'info' : level === 'warn' ? 'warn' : 'error';
}

/** The {@link KafkaBusOptions} of this deployment's settings (the PEM files are read here, at start). */
export function kafkaBusOptions(
  config: Readonly<Config>,
  log: KafkaBusOptions['log'],
): Omit<KafkaBusOptions, 'brokers'> & { brokers: string[] } {
  const read = (variable: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw appError('SLUICE_ERR_CONFIG', [`${variable} (${path}) could not be read: ${(err as Error).message}`]);
    }
  };
  const ca = read('KAFKA_SSL_CA_FILE', config.kafkaSslCaFile);
  const cert = read('KAFKA_SSL_CERT_FILE', config.kafkaSslCertFile);
  const key = read('KAFKA_SSL_KEY_FILE', config.kafkaSslKeyFile);
  return {
    brokers: config.kafkaBrokers ?? [],
    clientId: config.kafkaClientId,
    partitionsConcurrently: config.kafkaPartitionsConcurrently,
    replicationFactor: config.kafkaReplicationFactor,
    log,
    logLevel: kafkaLevel(config.logLevel),
    ...(config.kafkaSsl
      ? {
          ssl:
            ca === undefined && cert === undefined ? true : { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) },
        }
      : {}),
    ...(config.kafkaSaslMechanism
      ? { sasl: { mechanism: config.kafkaSaslMechanism, username: config.kafkaSaslUsername!, password: config.kafkaSaslPassword! } }
      : {}),
  };
}

/**
 * A topic creation the brokers refused for its replication factor, as a configuration error naming
 * `KAFKA_REPLICATION_FACTOR`; any other error as it was.
 */
export function topicCreationError(err: unknown, config: Readonly<Config>): unknown {
  // kafkajs answers a refused creation with "Topic creation errors", the brokers' reasons in `errors`.
  const nested = (err as { errors?: unknown }).errors;
  const reasons = Array.isArray(nested)
    ? [...new Set(nested.map((e) => (e instanceof Error ? `${e.message}${'type' in e ? ` (${String(e.type)})` : ''}` : String(e))))]
    : [];
  const message = [err instanceof Error ? err.message : String(err), ...reasons].join(': ');
  if (!/replication[- ]factor|INVALID_REPLICATION_FACTOR/i.test(message)) return err;
  return appError('SLUICE_ERR_CONFIG', [
    `KAFKA_REPLICATION_FACTOR=${config.kafkaReplicationFactor === -1 ? 'unset (the brokers default)' : config.kafkaReplicationFactor}: the brokers refused to create Sluice's topics: ${message}`,
  ]);
}

/**
 * Warns (once, at start) when the Redis behind `config.redisUrl` would lose Sluice's state on a restart. Never
 * fails the start: a check that cannot run (no `INFO` allowed, Redis slow) is logged and skipped.
 */
export async function warnIfRedisForgets(config: Readonly<Config>, log: Logger): Promise<void> {
  if (!config.redisUrl) return;
  try {
    const redis = await connectRedis(config.redisUrl, { commandTimeoutMs: 2_000 }, 5_000);
    try {
      const p = await redisPersistence(redis);
      const redis_ = { aof: p.aof, appendfsync: p.appendfsync, save: p.rdbSchedule, maxmemoryPolicy: p.evictionPolicy };
      if (p.warning) log.warn({ redis: redis_ }, p.warning);
      else log.info({ redis: redis_ }, 'Redis persistence on');
    } finally {
      redis.disconnect();
    }
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not check Redis persistence (INFO persistence failed)');
  }
}

/**
 * Refuses a ClickHouse server older than Sluice supports, or one on which Sluice's user lacks a privilege on its
 * tables, naming the version or each grant; logs the version otherwise. chDB (in-process) passes: it is the
 * engine Sluice is tested on, and its user has every privilege.
 */
export async function checkClickHouse(ch: ClickHouse, log: Logger): Promise<void> {
  const check = await checkClickHouseServer(ch.client, ch.database);
  if (check.problems.length > 0) throw appError('SLUICE_ERR_CONFIG', [check.problems.join('; ')]);
  log.info({ clickhouse: { version: check.version, user: check.user } }, 'ClickHouse version and grants checked');
}
