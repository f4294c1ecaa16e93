import type { Redis } from 'ioredis';
import { createRedis, whenReady } from '../redis/connect.js';
import type { QueueEntry, WorkQueue } from './types.js';

/** Options of {@link RedisStreamQueue}. */
export interface RedisStreamQueueOptions {
  readonly url: string;
  /** The stream's key. */
  readonly stream: string;
  /** The consumer group reading it. */
  readonly group: string;
  /** An entry pending longer than this is taken over by the next reader (XAUTOCLAIM), ms (default 30 000). */
  readonly claimAfterMs?: number;
  readonly onStatus?: (status: 'ready' | 'error', err?: Error) => void;
}

type StreamReply = [string, [string, string[]][]][] | null;

/**
 * A {@link WorkQueue} on a Redis stream: XADD to add, XREADGROUP + XACK in a consumer group to read,
 * XAUTOCLAIM to take over entries a dead consumer left pending; an acknowledged entry is deleted (XDEL), as
 * only one group reads the stream. Adds and reads use separate clients,
 * so a blocking read never delays an add.
 */
export class RedisStreamQueue implements WorkQueue {
  readonly #o: RedisStreamQueueOptions;
  readonly #claimAfterMs: number;
  readonly #writer: Redis;
  #reader: Redis | undefined;
  #group: Promise<void> | undefined;

  constructor(options: RedisStreamQueueOptions) {
    this.#o = options;
    this.#claimAfterMs = options.claimAfterMs ?? 30_000;
    // Fail at once while Redis is away: the producer's caller retries (the ticket dispatcher does).
    this.#writer = createRedis(options.url, { onStatus: options.onStatus, commandTimeoutMs: 2_000 });
  }

  /** {@inheritDoc WorkQueue.add} */
  async add(body: string): Promise<void> {
    // Not connected yet (starting, or reconnecting): wait a moment rather than fail at once.
    if (this.#writer.status !== 'ready' && !(await whenReady(this.#writer, 2_000)))
      throw new Error('Redis stream queue: Redis unreachable');
    await this.#writer.xadd(this.#o.stream, '*', 'body', body);
  }

  /** {@inheritDoc WorkQueue.read} */
  async read(consumer: string, max: number, waitMs: number): Promise<QueueEntry[]> {
    // Blocking reads get their own connection, which queues while Redis is away (no command timeout: it blocks).
    this.#reader ??= createRedis(this.#o.url, { offlineQueue: true, maxRetriesPerRequest: 1, onStatus: this.#o.onStatus });
    const r = this.#reader;
    await (this.#group ??= this.#createGroup(r).catch((err: unknown) => {
      this.#group = undefined;
      throw err;
    }));
    const claimed = (await r.xautoclaim(this.#o.stream, this.#o.group, consumer, this.#claimAfterMs, '0-0', 'COUNT', max)) as [
      string,
      [string, string[] | null][],
    ];
    const out: QueueEntry[] = [];
    for (const [id, fields] of claimed[1]) {
      // A claimed entry trimmed from the stream comes back without fields: nothing to do, drop it.
      if (fields === null) await r.xack(this.#o.stream, this.#o.group, id);
      else out.push({ id, body: bodyOf(fields), reclaimed: true });
    }
    if (out.length > 0) return out;
    const reply = (await r.xreadgroup(
      'GROUP',
      this.#o.group,
      consumer,
      'COUNT',
      max,
      'BLOCK',
      Math.max(1, Math.round(waitMs)),
      'STREAMS',
      this.#o.stream,
      '>',
    )) as StreamReply;
    for (const [, entries] of reply ?? []) for (const [id, fields] of entries) out.push({ id, body: bodyOf(fields), reclaimed: false });
    return out;
  }

  /** {@inheritDoc WorkQueue.ack} */
  async ack(id: string): Promise<void> {
    // One group reads the stream, so an acknowledged entry is done for good: delete it, the stream stays small.
    const replies = await this.#writer.multi().xack(this.#o.stream, this.#o.group, id).xdel(this.#o.stream, id).exec();
    const failed = replies?.find(([err]) => err !== null);
    if (failed) throw failed[0];
  }

  /** Closes both connections (a blocked read ends with an error). */
  async close(): Promise<void> {
    this.#reader?.disconnect();
    await this.#writer.quit().catch(() => this.#writer.disconnect());
  }

  async #createGroup(r: Redis): Promise<void> {
    try {
      // From the stream's start: entries added before the first consumer ever ran are read too.
      await r.xgroup('CREATE', this.#o.stream, this.#o.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }
}

function bodyOf(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'body') return fields[i + 1]!;
  return '';
}
