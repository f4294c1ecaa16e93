import { systemClock, type Clock } from '../clock.js';
import type { QueueEntry, WorkQueue } from './types.js';

/** Options of {@link MemoryWorkQueue}. */
export interface MemoryWorkQueueOptions {
  /** An entry pending longer than this is handed to the next reader, ms (default 30 000). */
  readonly claimAfterMs?: number;
  readonly clock?: Clock;
}

interface Pending {
  readonly body: string;
  consumer: string;
  since: number;
}

/** The in-memory twin of {@link RedisStreamQueue}: one process, same delivery rules. */
export class MemoryWorkQueue implements WorkQueue {
  readonly #claimAfterMs: number;
  readonly #clock: Clock;
  readonly #fresh: { id: string; body: string }[] = [];
  readonly #pending = new Map<string, Pending>();
  readonly #waiters = new Set<() => void>();
  #seq = 0;
  #closed = false;

  constructor(options: MemoryWorkQueueOptions = {}) {
    this.#claimAfterMs = options.claimAfterMs ?? 30_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** {@inheritDoc WorkQueue.add} */
  async add(body: string): Promise<void> {
    if (this.#closed) throw new Error('queue closed');
    this.#seq += 1;
    this.#fresh.push({ id: `${this.#seq}`, body });
    for (const w of [...this.#waiters]) w();
  }

  /** {@inheritDoc WorkQueue.read} */
  async read(consumer: string, max: number, waitMs: number): Promise<QueueEntry[]> {
    const now = this.#clock.now();
    const out: QueueEntry[] = [];
    for (const [id, p] of this.#pending) {
      if (out.length >= max) break;
      if (now - p.since < this.#claimAfterMs) continue;
      p.consumer = consumer;
      p.since = now;
      out.push({ id, body: p.body, reclaimed: true });
    }
    if (out.length === 0 && this.#fresh.length === 0 && waitMs > 0 && !this.#closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#waiters.delete(done);
          this.#clock.clearTimeout(t);
          resolve();
        };
        const t = this.#clock.setTimeout(done, waitMs);
        this.#waiters.add(done);
      });
    }
    while (out.length < max && this.#fresh.length > 0) {
      const e = this.#fresh.shift()!;
      this.#pending.set(e.id, { body: e.body, consumer, since: this.#clock.now() });
      out.push({ id: e.id, body: e.body, reclaimed: false });
    }
    return out;
  }

  /** {@inheritDoc WorkQueue.ack} */
  async ack(id: string): Promise<void> {
    this.#pending.delete(id);
  }

  /** {@inheritDoc WorkQueue.close} */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of [...this.#waiters]) w();
  }
}
