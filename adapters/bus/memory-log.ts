import type { BusMessage } from './types.js';

/** @internal */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The key of a topic partition in the bus's maps. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Released slots are compacted away once there are at least this many and no fewer than live ones. */
const COMPACT_AT = 4096;

/**
 * One partition of the in-memory bus: the messages of offsets [{@link start}, {@link end}). Offsets are
 * given once and keep their meaning: releasing the oldest messages moves `start`, never renumbers the rest
 * (as Kafka's log start offset moves when old segments are deleted).
 */
export class PartitionLog {
  #start = 0;
  /** Slots before `#head` are released; they are dropped in one copy once they outnumber the live ones. */
  #slots: (BusMessage | undefined)[] = [];
  #head = 0;

  /** Offset of the oldest message held. */
  get start(): number {
    return this.#start;
  }

  /** Offset the next appended message gets (the log end). */
  get end(): number {
    return this.#start + this.size;
  }

  /** Messages held. */
  get size(): number {
    return this.#slots.length - this.#head;
  }

  /** Appends a message at offset {@link end}. */
  append(m: Omit<BusMessage, 'offset'>): void {
    this.#slots.push({ offset: this.end, ...m });
  }

  /** Up to `max` messages from offset `from` on (from {@link start} when `from` was released). */
  read(from: number, max: number): BusMessage[] {
    const i = this.#head + Math.max(0, from - this.#start);
    return this.#slots.slice(i, i + max) as BusMessage[];
  }

  /** Every message held, oldest first. */
  messages(): BusMessage[] {
    return this.#slots.slice(this.#head) as BusMessage[];
  }

  /** Frees the messages below `offset`; returns how many were freed. */
  releaseBelow(offset: number): number {
    const n = Math.min(this.size, Math.max(0, offset - this.#start));
    for (let i = this.#head; i < this.#head + n; i++) this.#slots[i] = undefined;
    this.#head += n;
    this.#start += n;
    if (this.#head >= COMPACT_AT && this.#head >= this.size) {
      this.#slots = this.#slots.slice(this.#head);
      this.#head = 0;
    }
    return n;
  }
}
