import type {
  AssignmentListener,
  BatchHandler,
  BusMessage,
  BusProducer,
  ConsumerOptions,
  GroupConsumer,
  MessageBus,
  OutgoingMessage,
} from './types.js';

interface TopicPartition {
  topic: string;
  partition: number;
}

interface Group {
  members: MemoryConsumer[];
  committed: Map<string, number>;
  metadata: Map<string, string>;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** FNV-1a: same key → same partition, as Kafka's murmur2 partitioner guarantees. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * In-memory twin of a Kafka cluster: partitioned append-only logs, consumer groups with range-style
 * assignment, explicit commits, pause/resume, revoke on rebalance. Used by the embedded default and
 * unit tests; the same contract tests run against it and against a real broker.
 */
export class MemoryBus implements MessageBus {
  readonly #topics = new Map<string, BusMessage[][]>();
  readonly #groups = new Map<string, Group>();
  readonly #waiters = new Set<() => void>();
  /** Largest batch handed to a consumer. */
  maxBatch = 500;

  async ensureTopics(topics: { topic: string; partitions: number }[]): Promise<void> {
    for (const t of topics) {
      if (!this.#topics.has(t.topic)) this.#topics.set(t.topic, Array.from({ length: t.partitions }, () => []));
    }
  }

  /** @internal the log of one partition. */
  log(topic: string, partition: number): BusMessage[] {
    const parts = this.#topics.get(topic);
    const log = parts?.[partition];
    if (!log) throw new Error(`unknown topic partition ${topic}/${partition}`);
    return log;
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
        for (const m of messages) {
          const log = parts[hashKey(m.key) % parts.length]!;
          log.push({
            offset: log.length,
            key: m.key,
            value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
            timestamp: m.timestamp ?? Date.now(),
            headers: { ...(m.headers ?? {}) },
          });
        }
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
    if (!g) this.#groups.set(id, (g = { members: [], committed: new Map(), metadata: new Map() }));
    return g;
  }

  /** @internal reassigns a group's partitions round-robin over its members (revoking first). */
  async rebalance(groupId: string, topics: string[]): Promise<void> {
    const g = this.group(groupId);
    for (const m of g.members) await m.revokeAll();
    const all: TopicPartition[] = [];
    for (const topic of topics) for (let p = 0; p < this.partitions(topic); p++) all.push({ topic, partition: p });
    g.members.forEach((m, i) => m.assign(all.filter((_, j) => j % g.members.length === i)));
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

class MemoryConsumer implements GroupConsumer {
  #assigned: TopicPartition[] = [];
  #positions = new Map<string, number>();
  #paused = false;
  #running = false;
  #generation = 0;
  #loop: Promise<void> | undefined;
  #handler: BatchHandler | undefined;
  #listener: AssignmentListener | undefined;

  constructor(
    private readonly bus: MemoryBus,
    private readonly opts: ConsumerOptions,
  ) {}

  async start(handler: BatchHandler, listener?: AssignmentListener): Promise<void> {
    this.#handler = handler;
    this.#listener = listener;
    this.#running = true;
    this.bus.group(this.opts.groupId).members.push(this);
    await this.bus.rebalance(this.opts.groupId, this.opts.topics);
    this.#loop = this.#run();
  }

  assign(parts: TopicPartition[]): void {
    this.#generation++;
    this.#assigned = parts;
    const g = this.bus.group(this.opts.groupId);
    this.#positions.clear();
    for (const { topic, partition } of parts) {
      const c = g.committed.get(tpKey(topic, partition));
      const start = c !== undefined && c >= 0 ? c : this.opts.from === 'latest' ? this.bus.log(topic, partition).length : 0;
      this.#positions.set(tpKey(topic, partition), start);
    }
    this.#listener?.onAssign?.(parts);
  }

  async revokeAll(): Promise<void> {
    if (this.#assigned.length === 0) return;
    const parts = this.#assigned;
    this.#assigned = [];
    this.#generation++;
    await this.#listener?.onRevoke?.(parts);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let delivered = false;
      if (!this.#paused) {
        for (const { topic, partition } of this.#assigned) {
          const key = tpKey(topic, partition);
          const pos = this.#positions.get(key) ?? 0;
          const log = this.bus.log(topic, partition);
          if (pos >= log.length) continue;
          const messages = log.slice(pos, pos + this.bus.maxBatch);
          const gen = this.#generation;
          this.#positions.set(key, pos + messages.length);
          delivered = true;
          await this.#handler!({ topic, partition, messages, highWatermark: log.length }, { heartbeat: async () => {}, isStale: () => gen !== this.#generation || !this.#running });
          if (!this.#running || this.#paused) break;
        }
      }
      if (!delivered) await this.bus.waitForData(this.#paused ? 20 : 50);
    }
  }

  async commit(topic: string, partition: number, offset: number, metadata?: string): Promise<void> {
    const g = this.bus.group(this.opts.groupId);
    g.committed.set(tpKey(topic, partition), offset);
    if (metadata === undefined) g.metadata.delete(tpKey(topic, partition));
    else g.metadata.set(tpKey(topic, partition), metadata);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await this.#loop;
    await this.revokeAll();
    const g = this.bus.group(this.opts.groupId);
    g.members = g.members.filter((m) => m !== this);
    if (g.members.length > 0) await this.bus.rebalance(this.opts.groupId, this.opts.topics);
  }
}
