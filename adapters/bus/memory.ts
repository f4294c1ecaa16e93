import type { BusMessage, BusProducer, ConsumerOptions, GroupConsumer, MessageBus, OutgoingMessage } from './types.js';
import { MemoryConsumer } from './memory-consumer.js';
import type { Group } from './memory-consumer.js';
import { PartitionLog, tpKey } from './memory-log.js';
import type { TopicPartition } from './memory-log.js';

/** FNV-1a: same key → same partition, as Kafka's murmur2 partitioner guarantees. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Default {@link MemoryBusOptions.maxMessages}. */
export const DEFAULT_MAX_MESSAGES = 1_000_000;

/** Options for {@link MemoryBus}. */
export interface MemoryBusOptions {
  /**
   * Most messages the bus holds over all its partitions (default {@link DEFAULT_MAX_MESSAGES}). A send that
   * would pass it first releases what every group has already been handed (see {@link MemoryBus}); if that
   * is not enough it is refused whole with a {@link BusFullError}.
   */
  maxMessages?: number;
}

const FULL = Symbol.for('sluice.bus.full');

/** A send the in-memory bus refused because it holds {@link MemoryBusOptions.maxMessages}; retriable once consumers catch up. */
export class BusFullError extends Error {
  readonly [FULL] = true;
  readonly retriable = true;

  constructor(held: number, asked: number, max: number) {
    super(
      `the in-process bus is full: it holds ${held} messages not yet consumed by every group, ${asked} more would pass its limit of ${max}`,
    );
    this.name = 'BusFullError';
  }
}

/** True for a {@link BusFullError}, even from another copy of this module. */
export function isBusFullError(err: unknown): err is BusFullError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[FULL] === true;
}

/**
 * In-memory twin of a Kafka cluster: partitioned append-only logs, consumer groups with range-style
 * assignment, explicit commits, pause/resume, revoke on rebalance. Used by the embedded default and
 * unit tests; the same contract tests run against it and against a real broker.
 *
 * It is bounded. A partition's messages below the committed offset of every group reading its topic are
 * released at once (a topic no group has read keeps everything, as a group with no commit would start from
 * its beginning). Messages consumed but not yet committed — a pipeline commits only past what its open
 * windows no longer need — are released only when a send would pass {@link MemoryBusOptions.maxMessages},
 * as Kafka's retention deletes old segments whatever the groups committed: what every group has been handed
 * goes, what some group has not been handed never does, and a send that still does not fit is refused.
 * Offsets keep their meaning throughout: a released message's offset is never given again.
 */
export class MemoryBus implements MessageBus {
  readonly #topics = new Map<string, PartitionLog[]>();
  readonly #groups = new Map<string, Group>();
  readonly #waiters = new Set<() => void>();
  readonly #max: number;
  #held = 0;
  /** Largest batch handed to a consumer. */
  maxBatch = 500;

  constructor(opts: MemoryBusOptions = {}) {
    const max = opts.maxMessages ?? DEFAULT_MAX_MESSAGES;
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`maxMessages must be a whole number ≥ 1, got ${String(max)}`);
    this.#max = max;
  }

  /** Messages held over all partitions (never more than {@link MemoryBusOptions.maxMessages}). */
  get held(): number {
    return this.#held;
  }

  async ensureTopics(topics: { topic: string; partitions: number }[]): Promise<void> {
    for (const t of topics) {
      if (!this.#topics.has(t.topic))
        this.#topics.set(
          t.topic,
          Array.from({ length: t.partitions }, () => new PartitionLog()),
        );
    }
  }

  /** @internal one partition's log. */
  partitionLog(topic: string, partition: number): PartitionLog {
    const log = this.#topics.get(topic)?.[partition];
    if (!log) throw new Error(`unknown topic partition ${topic}/${partition}`);
    return log;
  }

  /** @internal the messages one partition holds, oldest first. */
  log(topic: string, partition: number): BusMessage[] {
    return this.partitionLog(topic, partition).messages();
  }

  /** @internal number of partitions of a topic (0 when it does not exist). */
  partitions(topic: string): number {
    return this.#topics.get(topic)?.length ?? 0;
  }

  async producer(): Promise<BusProducer> {
    return {
      send: async (topic: string, messages: OutgoingMessage[]) => {
        const parts = this.#topics.get(topic);
        if (!parts) throw new Error(`topic ${topic} does not exist`);
        if (this.#held + messages.length > this.#max) this.#releaseConsumed();
        if (this.#held + messages.length > this.#max) throw new BusFullError(this.#held, messages.length, this.#max);
        for (const m of messages) {
          parts[hashKey(m.key) % parts.length]!.append({
            key: m.key,
            value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
            timestamp: m.timestamp ?? Date.now(),
            headers: { ...(m.headers ?? {}) },
          });
        }
        this.#held += messages.length;
        this.#wake();
      },
      close: async () => {},
    };
  }

  consumer(opts: ConsumerOptions): GroupConsumer {
    return new MemoryConsumer(this, opts);
  }

  async committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const g = this.#groups.get(groupId);
    for (let p = 0; p < this.partitions(topic); p++) out.set(p, g?.committed.get(tpKey(topic, p)) ?? -1);
    return out;
  }

  async committedMetadata(groupId: string, topic: string): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const g = this.#groups.get(groupId);
    for (let p = 0; p < this.partitions(topic); p++) {
      const m = g?.metadata.get(tpKey(topic, p));
      if (m !== undefined) out.set(p, m);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const g of this.#groups.values()) for (const m of [...g.members]) await m.stop();
  }

  /** @internal */
  group(id: string): Group {
    let g = this.#groups.get(id);
    if (!g) this.#groups.set(id, (g = { members: [], topics: new Set(), committed: new Map(), metadata: new Map() }));
    return g;
  }

  /** @internal reassigns a group's partitions round-robin over its members (revoking first). */
  async rebalance(groupId: string, topics: string[]): Promise<void> {
    const g = this.group(groupId);
    for (const m of g.members) await m.revokeAll();
    const all: TopicPartition[] = [];
    for (const topic of topics) for (let p = 0; p < this.partitions(topic); p++) all.push({ topic, partition: p });
    g.members.forEach((m, i) => {
      m.assign(all.filter((_, j) => j % g.members.length === i));
    });
  }

  /** @internal frees a partition's messages below every group's committed offset (after a commit). */
  releaseCommitted(topic: string, partition: number): void {
    const log = this.partitionLog(topic, partition);
    this.#held -= log.releaseBelow(this.#floor(topic, partition, log, false));
  }

  /** Frees, in every partition, what every group has committed past or been handed. */
  #releaseConsumed(): void {
    for (const [topic, parts] of this.#topics)
      parts.forEach((log, p) => {
        this.#held -= log.releaseBelow(this.#floor(topic, p, log, true));
      });
  }

  /**
   * The offset below which no group reading `topic` needs a partition's messages: each group's committed
   * offset (its log start when it has none), or with `handed`, the offset its member holding the
   * partition reads next (the first of the batch in flight while one is) where it has such a member.
   */
  #floor(topic: string, partition: number, log: PartitionLog, handed: boolean): number {
    const key = tpKey(topic, partition);
    let floor = Infinity;
    for (const g of this.#groups.values()) {
      if (!g.topics.has(topic)) continue;
      let at: number | undefined;
      if (handed) for (const m of g.members) at ??= m.position(key);
      const c = g.committed.get(key);
      floor = Math.min(floor, at ?? (c !== undefined && c >= 0 ? c : log.start));
    }
    return floor === Infinity ? log.start : floor;
  }

  /** @internal resolves on the next produce (or after `ms`). */
  waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
