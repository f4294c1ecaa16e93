/**
 * Which source offsets a partition still needs to rebuild its open windows after a crash. Events are
 * bucketed by event time (`bucketMs`); a bucket is needed until the watermark passes
 * `bucket end + horizonMs` (the longest window + allowed lateness). The commit position is the
 * smallest offset of any needed bucket, so committing it never skips an event an open window needs.
 */
export class PartitionOffsets {
  readonly #bucketMs: number;
  readonly #horizonMs: number;
  /** bucket start (event time) → smallest offset seen in it. */
  #buckets = new Map<number, number>();

  /**
   * @param bucketMs granularity, ms of event time (the shortest window size)
   * @param horizonMs how long after a bucket's end its events may still matter, ms
   */
  constructor(bucketMs: number, horizonMs: number) {
    if (!(bucketMs > 0) || !(horizonMs >= 0)) throw new RangeError('bucketMs must be > 0 ms and horizonMs ≥ 0 ms');
    this.#bucketMs = bucketMs;
    this.#horizonMs = horizonMs;
  }

  /** Records that the event at `offset` has event time `ts` (epoch ms). */
  note(ts: number, offset: number): void {
    const b = Math.floor(ts / this.#bucketMs) * this.#bucketMs;
    const cur = this.#buckets.get(b);
    if (cur === undefined || offset < cur) this.#buckets.set(b, offset);
  }

  /** Forgets buckets the watermark (epoch ms) has passed for good. */
  release(watermark: number): void {
    for (const b of this.#buckets.keys()) if (b + this.#bucketMs + this.#horizonMs <= watermark) this.#buckets.delete(b);
  }

  /** Offset to commit when everything up to `next` (exclusive) has been processed and stored. */
  commitPosition(next: number): number {
    let min = next;
    for (const o of this.#buckets.values()) if (o < min) min = o;
    return min;
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#buckets.size;
  }
}
