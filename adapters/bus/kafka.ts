import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type KafkaConfig,
  type KafkaMessage as KafkaMessageRaw,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { Logger, LogMethod } from '../../core/logger.js';
import type {
  AssignmentListener,
  BusMessage,
  BatchHandler,
  BusProducer,
  ConsumerOptions,
  GroupConsumer,
  MessageBus,
  OutgoingMessage,
} from './types.js';

/** Options for {@link KafkaBus}. */
export interface KafkaBusOptions {
  /** Bootstrap brokers, e.g. `['127.0.0.1:9092']`. */
  brokers: string[];
  /** Kafka `client.id`: brokers' quotas, request logs and metrics name the client by it (default `sluice`). */
  clientId?: string;
  /** Where kafkajs' log lines go, their fields under `kafka`, at the level {@link kafkaLogLevel} gives them. */
  log?: Pick<Logger, 'error' | 'warn' | 'info'> & { debug?: LogMethod };
  /** The least severe kafkajs line passed to {@link KafkaBusOptions.log} (default `info`). */
  logLevel?: KafkaLogLevel;
  /** TLS to the brokers: `true` with the system's CAs, or PEM texts (a private CA, a client certificate and key). */
  ssl?: boolean | KafkaTls;
  /** SASL authentication (over TLS when `ssl` is set, else SASL_PLAINTEXT). */
  sasl?: KafkaSasl;
  /**
   * Replication factor of the topics Sluice creates; default -1, the brokers' `default.replication.factor`
   * (CreateTopics with -1, KIP-464), never a silent 1.
   */
  replicationFactor?: number;
  /**
   * Batches of this many partitions are handled side by side (default {@link DEFAULT_PARTITIONS_CONCURRENTLY}):
   * one batch's inserts and commit overlap the others' processing. One partition's batches stay in order.
   */
  partitionsConcurrently?: number;
}

/** PEM texts for TLS to the brokers (each optional: the system's CAs and no client certificate by default). */
export interface KafkaTls {
  /** CA certificate(s) the brokers' certificates are checked against. */
  readonly ca?: string;
  /** Client certificate (mutual TLS). */
  readonly cert?: string;
  /** Client certificate's private key (mutual TLS). */
  readonly key?: string;
}

/** The SASL mechanisms Sluice supports (those kafkajs implements with a user name and password). */
export const KAFKA_SASL_MECHANISMS = Object.freeze(['plain', 'scram-sha-256', 'scram-sha-512'] as const);

/** SASL credentials for the brokers. */
export interface KafkaSasl {
  readonly mechanism: (typeof KAFKA_SASL_MECHANISMS)[number];
  readonly username: string;
  readonly password: string;
}

/** Levels of Sluice's log a kafkajs line may be written at. */
export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

const FROM_KAFKAJS: Readonly<Record<number, KafkaLogLevel>> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

const TO_KAFKAJS: Readonly<Record<KafkaLogLevel, logLevel>> = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * kafkajs lines whose level overstates what happened: a group rebalancing (every deploy, scale-up or
 * restart of a worker) is routine, and kafkajs' own retries (a member re-joining, a reconnect, a consumer
 * restarted after a retriable failure) recover by themselves — an error is what needs a person.
 */
const ROUTINE: readonly { readonly pattern: RegExp; readonly level: KafkaLogLevel }[] = [
  { pattern: /group is rebalancing|rebalance in progress|REBALANCE_IN_PROGRESS/i, level: 'info' },
  // The member missed its session (a long stop, a slow batch): worth a look, but it re-joins by itself.
  { pattern: /not aware of this member, re-joining|UNKNOWN_MEMBER_ID/i, level: 'warn' },
  { pattern: /^Restarting the consumer in/i, level: 'warn' },
  { pattern: /^Failed to connect to broker, reconnecting|^Connection (error|timeout)|ECONNREFUSED|ECONNRESET/i, level: 'warn' },
  // A broker's answer kafkajs retries itself (a group's coordinator starting or moving, a leader election, a topic
  // just created): routine at start, on a rebalance and on a broker restart. Retries that run out surface as a crash
  // of the consumer (restarted, warn) or an error to the caller.
  {
    pattern:
      /coordinator is not available|coordinator is loading|not the correct coordinator|middle of a leadership election|not the leader for that topic-partition|does not host this topic-partition|NOT_COORDINATOR|COORDINATOR_NOT_AVAILABLE|COORDINATOR_LOAD_IN_PROGRESS|LEADER_NOT_AVAILABLE|NOT_LEADER/i,
    level: 'info',
  },
];

/**
 * The level a kafkajs log line is written at in Sluice's log: kafkajs' own, lowered for the routine
 * events {@link ROUTINE} lists (matched on the message and on the error it carries); never raised.
 */
export function kafkaLogLevel(level: number, message: string, error?: unknown): KafkaLogLevel {
  const own = FROM_KAFKAJS[level] ?? 'info';
  const text = `${message} ${typeof error === 'string' ? error : error instanceof Error ? error.message : ''}`;
  const rule = ROUTINE.find((r) => r.pattern.test(text));
  if (rule === undefined) return own;
  const order: KafkaLogLevel[] = ['debug', 'info', 'warn', 'error'];
  return order.indexOf(rule.level) < order.indexOf(own) ? rule.level : own;
}

/**
 * The kafkajs `ssl` and `sasl` settings for {@link KafkaBusOptions}' `ssl` and `sasl`.
 *
 * @example kafkaSecurity({ ssl: { ca: readFileSync('ca.pem', 'utf8') }, sasl: { mechanism: 'scram-sha-512', username: 'sluice', password } })
 */
export function kafkaSecurity(opts: Pick<KafkaBusOptions, 'ssl' | 'sasl'>): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (opts.ssl === true) out.ssl = true;
  else if (typeof opts.ssl === 'object') {
    const { ca, cert, key } = opts.ssl;
    out.ssl = { ...(ca === undefined ? {} : { ca: [ca] }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
  }
  if (opts.sasl) {
    if (!KAFKA_SASL_MECHANISMS.includes(opts.sasl.mechanism))
      throw new Error(`SASL mechanism must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}, got "${String(opts.sasl.mechanism)}"`);
    out.sasl = { mechanism: opts.sasl.mechanism, username: opts.sasl.username, password: opts.sasl.password } as SASLOptions;
  }
  return out;
}

/**
 * Default {@link KafkaBusOptions.partitionsConcurrently}. A batch spends much of its time waiting for its
 * inserts and its commit; with 3 at a time the worker of bench:pipeline sat idle between them, and 8–24
 * were about 1.5× as fast side by side (0.34 against 0.50–0.52 of the bare consumer's rate, as the
 * benchmark then timed the worker, from its first finished batch, which overstated both). Memory is
 * bounded by the fetch size, not by this.
 */
export const DEFAULT_PARTITIONS_CONCURRENTLY = 12;

/**
 * The message bus over Apache Kafka through kafkajs. Consumers use `eachBatch` with auto-resolve and
 * auto-commit off: offsets are resolved after the handler returns (so fetching moves on) and committed
 * only by {@link GroupConsumer.commit}, i.e. after the sink acknowledged the rows they feed.
 */
export class KafkaBus implements MessageBus {
  readonly #kafka: Kafka;
  readonly #producers: Producer[] = [];
  readonly #consumers: KafkaGroupConsumer[] = [];
  readonly #concurrently: number;
  readonly #replicationFactor: number;
  #admin: Promise<Admin> | undefined;

  constructor(opts: KafkaBusOptions) {
    if (opts.brokers.length === 0) throw new Error('KafkaBus needs at least one broker address');
    const c = opts.partitionsConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY;
    if (!(Number.isInteger(c) && c >= 1)) throw new RangeError(`partitionsConcurrently must be a whole number ≥ 1, got ${String(c)}`);
    this.#concurrently = c;
    const rf = opts.replicationFactor ?? -1;
    if (!(Number.isInteger(rf) && (rf === -1 || (rf >= 1 && rf <= 32767))))
      throw new RangeError(`replicationFactor must be -1 (the brokers' default) or a whole number from 1, got ${String(rf)}`);
    this.#replicationFactor = rf;
    const log = opts.log;
    this.#kafka = new Kafka({
      clientId: opts.clientId ?? 'sluice',
      brokers: opts.brokers,
      ...kafkaSecurity(opts),
      logLevel: TO_KAFKAJS[opts.logLevel ?? 'info'],
      logCreator: () => (entry) => {
        if (!log) return;
        const { message, timestamp: _t, logger: _l, ...extra } = entry.log as { message?: unknown; [k: string]: unknown };
        const level = kafkaLogLevel(entry.level, String(message), extra.error);
        const write = level === 'debug' ? log.debug : log[level];
        write?.call(log, { kafka: { namespace: entry.namespace, ...extra } }, String(message));
      },
      retry: { retries: 8, initialRetryTime: 200 },
    });
  }

  /**
   * Creates the topics that are missing. Retried when Kafka says the error is retriable: right after a
   * create, a KRaft broker may still answer metadata with "does not host this topic-partition" (kafkajs
   * issue 815); the topic exists, and the next look finds it.
   */
  async ensureTopics(topics: { topic: string; partitions: number }[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#ensureTopicsOnce(topics);
      } catch (err) {
        if (attempt >= 4 || (err as { retriable?: unknown }).retriable !== true) throw err;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  async #ensureTopicsOnce(topics: { topic: string; partitions: number }[]): Promise<void> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: this.#replicationFactor })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async producer(): Promise<BusProducer> {
    // Not kafkajs' idempotent producer: it needs unlimited retries, which would hang ingest while Kafka is
    // down. A retried send may duplicate a message; every event carries an id and is deduplicated downstream.
    const p = this.#kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await p.connect();
    this.#producers.push(p);
    return {
      send: async (topic: string, messages: OutgoingMessage[]) => {
        await p.send({
          topic,
          acks: -1,
          messages: messages.map((m) => ({
            key: m.key,
            value: m.value,
            timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
            headers: m.headers,
          })),
        });
      },
      close: async () => {
        await p.disconnect();
      },
    };
  }

  consumer(opts: ConsumerOptions): GroupConsumer {
    // Larger fetches make larger batches: each batch costs a few inserts whatever its size.
    const c = new KafkaGroupConsumer(
      this.#kafka.consumer({
        groupId: opts.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
        maxBytesPerPartition: 4 << 20,
        maxBytes: 16 << 20,
      }),
      opts,
      this.#concurrently,
    );
    this.#consumers.push(c);
    return c;
  }

  async committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const res = await this.#fetchOffsets(groupId, topic);
    const out = new Map<number, number>();
    for (const t of res) for (const p of t.partitions) out.set(p.partition, Number(p.offset));
    return out;
  }

  async committedMetadata(groupId: string, topic: string): Promise<Map<number, string>> {
    const res = await this.#fetchOffsets(groupId, topic);
    const out = new Map<number, string>();
    for (const t of res)
      for (const p of t.partitions) if (typeof p.metadata === 'string' && p.metadata !== '') out.set(p.partition, p.metadata);
    return out;
  }

  /** A group's committed offsets of one topic; a failed read drops the shared connection, so the next one connects afresh. */
  async #fetchOffsets(groupId: string, topic: string) {
    const pending = this.#sharedAdmin();
    try {
      return await (await pending).fetchOffsets({ groupId, topics: [topic] });
    } catch (err) {
      if (this.#admin === pending) {
        this.#admin = undefined;
        void pending.then((a) => a.disconnect()).catch(() => {});
      }
      throw err;
    }
  }

  /**
   * One admin connection for the offset reads: a pipeline worker reads every topic's resume points after
   * each assignment, and a connection per call cost 200–500 ms here, delaying each partition's first batch.
   */
  #sharedAdmin(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      const ready = admin.connect().then(() => admin);
      this.#admin = ready;
      ready.catch(() => {
        if (this.#admin === ready) this.#admin = undefined;
      });
    }
    return this.#admin;
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
    for (const c of this.#consumers) await c.stop();
    for (const p of this.#producers) await p.disconnect();
  }
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY = Buffer.alloc(0);

/** A consumed message; the key and headers, which the pipelines rarely read, are decoded when first read. */
class KafkaMessage implements BusMessage {
  readonly offset: number;
  readonly value: Buffer;
  readonly timestamp: number;
  readonly #raw: KafkaMessageRaw;
  #key: string | null | undefined;
  #headers: Record<string, string> | undefined;

  constructor(m: KafkaMessageRaw) {
    this.#raw = m;
    this.offset = Number(m.offset);
    this.value = m.value ?? EMPTY;
    this.timestamp = Number(m.timestamp);
  }

  get key(): string | null {
    if (this.#key === undefined) this.#key = this.#raw.key ? this.#raw.key.toString() : null;
    return this.#key;
  }

  get headers(): Record<string, string> {
    return (this.#headers ??= headersOf(this.#raw.headers));
  }
}

/** Message headers as strings; most messages have none, and they share one empty object. */
function headersOf(h: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  if (!h) return NO_HEADERS;
  let out: Record<string, string> | undefined;
  for (const k in h) (out ??= {})[k] = h[k] === undefined ? '' : String(h[k]);
  return out ?? NO_HEADERS;
}

class KafkaGroupConsumer implements GroupConsumer {
  #assigned: { topic: string; partition: number }[] = [];
  #stopped = false;
  #started = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly opts: ConsumerOptions,
    private readonly concurrently: number,
  ) {}

  async start(handler: BatchHandler, listener?: AssignmentListener): Promise<void> {
    // kafkajs has no blocking rebalance listener: the new assignment arrives with GROUP_JOIN, after
    // the old one was given up. Revoked partitions are reported then; correctness does not depend on
    // it, because commits never pass data that is not yet safely stored.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const now: { topic: string; partition: number }[] = [];
      for (const [topic, parts] of Object.entries(e.payload.memberAssignment))
        for (const partition of parts) now.push({ topic, partition });
      const has = (l: typeof now, x: (typeof now)[number]) => l.some((y) => y.topic === x.topic && y.partition === x.partition);
      const revoked = this.#assigned.filter((x) => !has(now, x));
      this.#assigned = now;
      if (revoked.length > 0) void listener?.onRevoke?.(revoked);
      listener?.onAssign?.(now);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: (this.opts.from ?? 'earliest') === 'earliest' });
    this.#started = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Batches of different partitions are handled side by side (their inserts overlap); one
      // partition's batches stay in order, which is what the commits rely on.
      partitionsConsumedConcurrently: this.concurrently,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale, isRunning }) => {
        if (batch.messages.length === 0) return;
        await handler(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: Number(batch.highWatermark),
            messages: batch.messages.map((m) => new KafkaMessage(m)),
          },
          { heartbeat, isStale: () => isStale() || !isRunning() },
        );
        resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
  }

  async commit(topic: string, partition: number, offset: number, metadata?: string): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset: String(offset), metadata: metadata ?? null }]);
  }

  pause(): void {
    this.consumer.pause(this.opts.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.consumer.resume(this.opts.topics.map((topic) => ({ topic })));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#started) await this.consumer.stop();
    await this.consumer.disconnect();
  }
}
