import type { AssignmentListener, BatchHandler, ConsumerOptions, GroupConsumer } from './types.js';
import { tpKey } from './memory-log.js';
import type { PartitionLog, TopicPartition } from './memory-log.js';

/** @internal a consumer group's members and offsets. */
export interface Group {
  members: MemoryConsumer[];
  /** Every topic a member of the group has read: the group's offsets decide what of them may be released. */
  topics: Set<string>;
  committed: Map<string, number>;
  metadata: Map<string, string>;
}

/**
 * @internal what a group member uses of the in-memory bus (`MemoryBus` implements it), declared here so
 * the consumer does not import the bus that creates it.
 */
export interface ConsumerHost {
  /** Largest batch handed to a consumer. */
  readonly maxBatch: number;
  group(id: string): Group;
  rebalance(groupId: string, topics: string[]): Promise<void>;
  partitionLog(topic: string, partition: number): PartitionLog;
  releaseCommitted(topic: string, partition: number): void;
  waitForData(ms: number): Promise<void>;
}

/** Pause after a batch handler threw, before the batch is handed over again, ms. */
const REDELIVER_AFTER_MS = 100;

/** A member of a consumer group of the in-memory bus (`MemoryBus`). */
export class MemoryConsumer implements GroupConsumer {
  #assigned: TopicPartition[] = [];
  #positions = new Map<string, number>();
  /** Per partition, the first offset of the batch being handled. */
  #inFlight = new Map<string, number>();
  #paused = false;
  #running = false;
  #generation = 0;
  #loop: Promise<void> | undefined;
  #handler: BatchHandler | undefined;
  #listener: AssignmentListener | undefined;

  constructor(
    private readonly bus: ConsumerHost,
    private readonly opts: ConsumerOptions,
  ) {}

  async start(handler: BatchHandler, listener?: AssignmentListener): Promise<void> {
    this.#handler = handler;
    this.#listener = listener;
    this.#running = true;
    const g = this.bus.group(this.opts.groupId);
    g.members.push(this);
    for (const t of this.opts.topics) g.topics.add(t);
    await this.bus.rebalance(this.opts.groupId, this.opts.topics);
    this.#loop = this.#run();
  }

  assign(parts: TopicPartition[]): void {
    this.#generation++;
    this.#assigned = parts;
    const g = this.bus.group(this.opts.groupId);
    this.#positions.clear();
    for (const { topic, partition } of parts) {
      const log = this.bus.partitionLog(topic, partition);
      const c = g.committed.get(tpKey(topic, partition));
      // A committed offset below the log start (released under the bus's limit) reads from the start, as Kafka's `earliest` reset does.
      const start = c !== undefined && c >= 0 ? Math.max(c, log.start) : this.opts.from === 'latest' ? log.end : log.start;
      this.#positions.set(tpKey(topic, partition), start);
    }
    this.#listener?.onAssign?.(parts);
  }

  /** @internal the offset this member reads next in a partition it holds (the batch in flight's first while one is). */
  position(key: string): number | undefined {
    return this.#inFlight.get(key) ?? this.#positions.get(key);
  }

  async revokeAll(): Promise<void> {
    if (this.#assigned.length === 0) return;
    const parts = this.#assigned;
    this.#assigned = [];
    this.#positions.clear();
    this.#generation++;
    await this.#listener?.onRevoke?.(parts);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let delivered = false;
      let failed = false;
      if (!this.#paused) {
        for (const { topic, partition } of this.#assigned) {
          const key = tpKey(topic, partition);
          const log = this.bus.partitionLog(topic, partition);
          const pos = Math.max(this.#positions.get(key) ?? 0, log.start);
          if (pos >= log.end) continue;
          const messages = log.read(pos, this.bus.maxBatch);
          const gen = this.#generation;
          this.#positions.set(key, pos + messages.length);
          this.#inFlight.set(key, pos);
          delivered = true;
          try {
            await this.#handler!(
              { topic, partition, messages, highWatermark: log.end },
              { heartbeat: async () => {}, isStale: () => gen !== this.#generation || !this.#running },
            );
          } catch {
            // As kafkajs does, a batch whose handler failed is handed over again: nothing uncommitted is skipped.
            if (gen === this.#generation) this.#positions.set(key, pos);
            failed = true;
          } finally {
            this.#inFlight.delete(key);
          }
          if (failed || !this.#running || this.#paused) break;
        }
      }
      if (failed) await new Promise((r) => setTimeout(r, REDELIVER_AFTER_MS));
      else if (!delivered) await this.bus.waitForData(this.#paused ? 20 : 50);
    }
  }

  async commit(topic: string, partition: number, offset: number, metadata?: string): Promise<void> {
    const g = this.bus.group(this.opts.groupId);
    g.committed.set(tpKey(topic, partition), offset);
    if (metadata === undefined) g.metadata.delete(tpKey(topic, partition));
    else g.metadata.set(tpKey(topic, partition), metadata);
    this.bus.releaseCommitted(topic, partition);
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
