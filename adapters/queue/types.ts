/**
 * A durable work queue between instances: producers add entries, a group of consumers reads them,
 * each entry goes to one consumer and stays pending until that consumer acknowledges it; an entry
 * pending longer than the claim time (its consumer died) is handed to another consumer. A Redis
 * stream with a consumer group is the real queue ({@link RedisStreamQueue}); {@link MemoryWorkQueue}
 * is the twin. Both pass `adapters/queue/queue.contract.ts`.
 */

/** One delivered entry. */
export interface QueueEntry {
  /** The queue's id of the entry; give it to {@link WorkQueue.ack}. */
  readonly id: string;
  readonly body: string;
  /** True when the entry was taken over from a consumer that held it longer than the claim time. */
  readonly reclaimed: boolean;
}

/** See the module comment. */
export interface WorkQueue {
  /** Adds an entry; resolves once the queue has accepted it, rejects when it could not. */
  add(body: string): Promise<void>;
  /**
   * Up to `max` entries for `consumer`: entries other consumers held pending longer than the claim
   * time first, then new ones, waiting at most `waitMs` (ms) when there are none.
   */
  read(consumer: string, max: number, waitMs: number): Promise<QueueEntry[]>;
  /** Marks an entry done: it is never delivered again. */
  ack(id: string): Promise<void>;
  close(): Promise<void>;
}
