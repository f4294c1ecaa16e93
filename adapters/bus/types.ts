/**
 * The message bus as Sluice's domain sees it: partitioned topics, keyed messages, consumer groups
 * with offsets the consumer commits itself (after its sink acknowledged the work). Kafka through
 * kafkajs is the real adapter; {@link MemoryBus} is the in-memory twin. Both pass
 * `adapters/bus/bus.contract.ts`.
 */

/** A message to publish. Messages with the same key land in the same partition, in order. */
export interface OutgoingMessage {
  key: string;
  value: Buffer | string;
  /** Event time, epoch ms (Kafka's message timestamp). */
  timestamp?: number;
  headers?: Record<string, string>;
}

/** A consumed message. */
export interface BusMessage {
  /** Offset within its partition. */
  offset: number;
  key: string | null;
  value: Buffer;
  /** Epoch ms. */
  timestamp: number;
  headers: Record<string, string>;
}

/** A run of consecutive messages from one partition. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
  /** Offset the partition's next produced message will get (its log end), when known. */
  highWatermark?: number;
}

/** What a batch handler may do while it runs. */
export interface BatchControl {
  /** Keeps group membership alive during long work (e.g. a slow ClickHouse insert). */
  heartbeat(): Promise<void>;
  /** True once the consumer is stopping or lost the partition: finish quickly, do not commit further. */
  isStale(): boolean;
}

/** Called for each batch; the consumer moves on to the partition's next batch when the promise settles. */
export type BatchHandler = (batch: MessageBatch, ctl: BatchControl) => Promise<void>;

/** Partition assignment changes, so a pipeline can flush and commit before it loses a partition. */
export interface AssignmentListener {
  /** Called before partitions are taken away (rebalance or stop); the commit made here is kept. */
  onRevoke?(partitions: { topic: string; partition: number }[]): Promise<void>;
  onAssign?(partitions: { topic: string; partition: number }[]): void;
}

/** A group member reading some topics. Offsets are committed only by {@link GroupConsumer.commit}. */
export interface GroupConsumer {
  /** Joins the group and starts delivering batches; resolves once running. */
  start(handler: BatchHandler, listener?: AssignmentListener): Promise<void>;
  /**
   * Commits `offset` = the next offset to read (last processed + 1) for a partition, with `metadata`
   * kept beside it (what the next reader of the partition needs to resume: see
   * {@link MessageBus.committedMetadata}); a commit without metadata clears it.
   */
  commit(topic: string, partition: number, offset: number, metadata?: string): Promise<void>;
  /** Stops fetching (backpressure); batches already handed over still complete. */
  pause(): void;
  resume(): void;
  /** Leaves the group after in-flight batches complete. */
  stop(): Promise<void>;
}

export interface BusProducer {
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default `earliest`. */
  from?: 'earliest' | 'latest';
}

/** Factory for producers and consumers on one cluster. */
export interface MessageBus {
  /** Creates topics that do not exist yet (idempotent). */
  ensureTopics(topics: { topic: string; partitions: number }[]): Promise<void>;
  producer(): Promise<BusProducer>;
  consumer(opts: ConsumerOptions): GroupConsumer;
  /** Committed offset (next to read) per partition for a group, -1 where none. */
  committed(groupId: string, topic: string): Promise<Map<number, number>>;
  /** The metadata of each partition's committed offset for a group, where there is some. */
  committedMetadata(groupId: string, topic: string): Promise<Map<number, string>>;
  close(): Promise<void>;
}
