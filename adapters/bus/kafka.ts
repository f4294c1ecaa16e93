import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type KafkaMessage as KafkaMessageRaw, type Producer } from 'kafkajs';
import type { Logger } from '../../core/logger.js';
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
  clientId?: string;
  /** Where kafkajs log lines at warn level and above go, their fields under `kafka`. */
  log?: Pick<Logger, 'error' | 'warn'>;
  /**
   * Batches of this many partitions are handled side by side (default {@link DEFAULT_PARTITIONS_CONCURRENTLY}):
   * one batch's inserts and commit overlap the others' processing. One partition's batches stay in order.
   */
  partitionsConcurrently?: number;
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
  #admin: Promise<Admin> | undefined;

  constructor(opts: KafkaBusOptions) {
    if (opts.brokers.length === 0) throw new Error('KafkaBus needs at least one broker address');
    const c = opts.partitionsConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY;
    if (!(Number.isInteger(c) && c >= 1)) throw new RangeError(`partitionsConcurrently must be a whole number ≥ 1, got ${String(c)}`);
    this.#concurrently = c;
    this.#kafka = new Kafka({
      clientId: opts.clientId ?? 'sluice',
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const level = entry.level === logLevel.ERROR ? 'error' : 'warn';
        const { message, ...extra } = entry.log;
        opts.log?.[level]({ kafka: extra }, String(message));
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
          topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })),
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
