import { createHash } from 'node:crypto';
import type { Clock } from '../adapters/clock.js';
import type { BatchControl, GroupConsumer, MessageBatch, MessageBus } from '../adapters/bus/types.js';
import { decodeJson, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode.js';
import { SOURCES, type TelemetryEvent } from './events/types.js';
import type { PartitionPipeline, PipelineFactories, PipelineFactory } from './partition.js';
import type { Source } from './events/types.js';
import { refusedEventLetter, refusedRowLetter, storeDeadLetters, type BatchOrigin, type DeadLetterSink } from './dead-letters.js';
import { splitRefusals } from './store/refusals.js';
import type { DeadLetter, TelemetryWriter } from './store/types.js';
import { topicFor } from './topics.js';

/** What the worker reports, for metrics; every method is optional to implement. */
export interface PipelineObserver {
  eventsIn?(source: string, n: number): void;
  deadLettered?(source: string, code: string): void;
  late?(source: string, n: number): void;
  duplicates?(source: string, n: number): void;
  /** A batch arrived (before it is decoded). */
  batch?(size: number): void;
  insertFailed?(err: Error): void;
  commitFailed?(err: Error): void;
}

/** Options for {@link PipelineWorker}. */
export interface PipelineWorkerOptions {
  bus: MessageBus;
  store: TelemetryWriter;
  /** Where refused input goes; default the store's dead-letter table. */
  deadLetters?: DeadLetterSink;
  clock: Clock;
  /** Consumer group shared by all workers. */
  groupId?: string;
  topicPrefix?: string;
  /** The aggregation of each source (a source without one has its raw events stored only). */
  pipelines?: PipelineFactories;
  limits?: DecodeLimits;
  observer?: PipelineObserver;
  /** Receives each batch's valid events, in offset order, after they are stored (real-time state), with their partition. */
  onEvents?: (events: TelemetryEvent[], from: TopicPartition) => void;
  /**
   * Told the partitions this worker reads whenever they change: the whole assignment after a rebalance,
   * what is left after a revocation, none once stopped (real-time state drops what it no longer reads).
   */
  onAssignment?: (partitions: readonly TopicPartition[]) => void;
  /** Longest pause between retries of a failed insert, ms. */
  maxRetryDelayMs?: number;
  /** Refuses a decoded event before it is stored (per-tenant limits): its code and reason go to the dead-letter sink. */
  admit?: (event: TelemetryEvent, now: number) => { code: string; reason: string } | undefined;
}

/** A source partition. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

const digest = (parts: string[]) => createHash('sha1').update(parts.join('\n')).digest('base64url').slice(0, 16);

/**
 * Reads the source topics in a consumer group and turns them into stored figures: decode (bad input
 * to the dead-letter table with its reason), store raw events while the windows take the batch, store
 * the changed rows, and only once both are stored commit — never past the first offset still feeding
 * an open window, so a worker killed at any point rebuilds its windows on restart and the totals stay
 * exact.
 * A row ClickHouse refuses (an error code saying the same rows will fail again: parse, type, range)
 * is found by splitting the insert, dead-lettered with ClickHouse's reason, and the rest is stored:
 * one poison event never stalls a partition. Any other failure means ClickHouse is unavailable, and
 * the insert is retried (with heartbeats) until it succeeds: while ClickHouse is down the partition
 * simply stops advancing.
 */
export class PipelineWorker {
  readonly #opts: PipelineWorkerOptions;
  readonly #windows = new Map<string, PartitionPipeline>();
  readonly #resumes = new Map<string, Promise<Map<number, string>>>();
  #consumer: GroupConsumer | undefined;
  #stopping = false;
  /** The partitions assigned to this worker, by `topic:partition`. */
  readonly #assigned = new Map<string, TopicPartition>();
  /** Messages fully processed (stored; commit attempted). */
  handled = 0;
  /**
   * Per partition: messages not yet handled (behind the log end), and the Kafka timestamp lag is measured
   * from — the first message of the batch in flight while one is, else the last message handled.
   */
  readonly #lag = new Map<string, { behind: number; since: number }>();

  constructor(opts: PipelineWorkerOptions) {
    this.#opts = opts;
  }

  /**
   * The metadata committed with each partition's offset, read once per topic after each assignment (the
   * group's commits for a partition come from its one reader, and a new assignment clears this).
   */
  #resumePoints(topic: string): Promise<Map<number, string>> {
    let p = this.#resumes.get(topic);
    if (!p) {
      p = this.#opts.bus.committedMetadata(this.#groupId, topic);
      this.#resumes.set(topic, p);
      p.catch(() => this.#resumes.delete(topic));
    }
    return p;
  }

  get #groupId(): string {
    return this.#opts.groupId ?? 'sluice-pipelines';
  }

  /** Topics this worker reads. */
  get topics(): string[] {
    return SOURCES.map((s) => topicFor(s, this.#opts.topicPrefix));
  }

  async start(): Promise<void> {
    this.#consumer = this.#opts.bus.consumer({ groupId: this.#groupId, topics: this.topics });
    await this.#consumer.start((batch, ctl) => this.#onBatch(batch, ctl), {
      onRevoke: async (parts) => {
        this.#resumes.clear();
        for (const p of parts) {
          this.#windows.get(`${p.topic}:${p.partition}`)?.close();
          this.#windows.delete(`${p.topic}:${p.partition}`);
          this.#lag.delete(`${p.topic}:${p.partition}`);
          this.#assigned.delete(`${p.topic}:${p.partition}`);
        }
        this.#opts.onAssignment?.([...this.#assigned.values()]);
      },
      // Read the resume points as soon as the partitions are known, beside the first fetch.
      onAssign: (parts) => {
        this.#resumes.clear();
        this.#assigned.clear();
        for (const p of parts) this.#assigned.set(`${p.topic}:${p.partition}`, { topic: p.topic, partition: p.partition });
        this.#opts.onAssignment?.([...this.#assigned.values()]);
        for (const topic of new Set(parts.map((p) => p.topic))) void this.#resumePoints(topic).catch(() => {});
      },
    });
  }

  /** Stops after the batch in flight is stored and committed. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#consumer?.stop();
    this.#assigned.clear();
    this.#opts.onAssignment?.([]);
  }

  /** Messages produced but not yet handled, over the partitions this worker read. */
  get lagMessages(): number {
    let n = 0;
    for (const l of this.#lag.values()) n += l.behind;
    return n;
  }

  /**
   * How far behind real time the worker is, ms, on the partition furthest behind (0 when every partition
   * is caught up): now minus the timestamp of the oldest message not yet handled — while a batch is in
   * flight (its insert may hang: ClickHouse slow or down), its first message, so the figure keeps growing.
   */
  lagMs(now: number): number {
    let worst = 0;
    for (const l of this.#lag.values()) if (l.behind > 0) worst = Math.max(worst, now - l.since);
    return worst;
  }

  /** Number of partitions holding window state. */
  get windowCount(): number {
    return this.#windows.size;
  }

  /** Window state held in memory per source (remembered ids, accumulators, entity timelines), over this worker's partitions. */
  stateSize(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, p] of this.#windows) {
      const source = key.slice(key.lastIndexOf('.') + 1, key.lastIndexOf(':'));
      out[source] = (out[source] ?? 0) + p.stateSize;
    }
    return out;
  }

  async #retry(what: string, ctl: BatchControl, fn: () => Promise<void>): Promise<void> {
    let delay = 100;
    for (;;) {
      try {
        await fn();
        return;
      } catch (err) {
        this.#opts.observer?.insertFailed?.(err as Error);
        if (this.#stopping || ctl.isStale()) throw new Error(`${what} abandoned while stopping: ${(err as Error).message}`);
        await new Promise<void>((r) => this.#opts.clock.setTimeout(r, delay));
        delay = Math.min(delay * 2, this.#opts.maxRetryDelayMs ?? 5_000);
        await ctl.heartbeat().catch(() => {});
      }
    }
  }

  /**
   * The windows of a partition new to this worker, resuming from what its previous reader committed with
   * the offset. Should the resume points fail to arrive, `pending` (the batch's raw insert) settles first.
   */
  async #openWindows(topic: string, partition: number, factory: PipelineFactory, pending: Promise<void>): Promise<PartitionPipeline> {
    let resume: Map<number, string>;
    try {
      resume = await this.#resumePoints(topic);
    } catch (err) {
      await pending.catch(() => {});
      throw err;
    }
    const windows = factory(resume.get(partition), { topic, partition });
    this.#windows.set(`${topic}:${partition}`, windows);
    return windows;
  }

  async #onBatch(batch: MessageBatch, ctl: BatchControl): Promise<void> {
    const { topic, partition, messages } = batch;
    const source = topic.slice(topic.lastIndexOf('.') + 1);
    const key = `${topic}:${partition}`;
    if (batch.highWatermark !== undefined)
      this.#lag.set(key, { behind: Math.max(0, batch.highWatermark - messages[0]!.offset), since: messages[0]!.timestamp });
    const obs = this.#opts.observer;
    obs?.batch?.(messages.length);
    const now = this.#opts.clock.now();
    const limits = this.#opts.limits ?? DEFAULT_DECODE_LIMITS;
    const good: { event: TelemetryEvent; offset: number }[] = [];
    const received: Buffer[] = [];
    const dead: DeadLetter[] = [];
    let refusal: { code: string; reason: string } | undefined;
    for (const m of messages) {
      const d = decodeJson(m.value, now, limits);
      if (d.ok && d.event.source !== source) {
        dead.push({
          tenant: d.event.tenant,
          source,
          code: 'wrong-topic',
          reason: `a ${d.event.source} event on topic ${topic}`,
          payload: m.value,
          origin: `${topic}:${partition}:${m.offset}`,
          receivedAt: now,
        });
      } else if (d.ok && (refusal = this.#opts.admit?.(d.event, now))) {
        dead.push({
          tenant: d.event.tenant,
          source,
          code: refusal.code,
          reason: refusal.reason,
          payload: m.value,
          origin: `${topic}:${partition}:${m.offset}`,
          receivedAt: now,
        });
      } else if (d.ok) {
        good.push({ event: d.event, offset: m.offset });
        received.push(m.value);
      } else {
        dead.push({
          tenant: '',
          source,
          code: d.code,
          reason: d.reason,
          payload: m.value,
          origin: `${topic}:${partition}:${m.offset}`,
          receivedAt: now,
        });
      }
    }
    const range = `${topic}:${partition}:${messages[0]!.offset}-${messages.at(-1)!.offset}`;
    const events = good.map((g) => g.event);
    const sink = this.#opts.deadLetters ?? storeDeadLetters(this.#opts.store);
    const at: BatchOrigin = { topic, partition, source, range, receivedAt: now };
    // Rows ClickHouse refuses (it will refuse them again) are found by splitting the insert, and
    // dead-lettered with its reason; the rest are stored. Only unavailability is retried.
    let refused: DeadLetter[] = [];
    // The raw insert runs (ClickHouse parses it on its own threads) while the windows take the batch.
    const rawStored = this.#retry('storing raw events', ctl, async () => {
      const lost: DeadLetter[] = [];
      const offsets = good.map((g) => g.offset);
      await splitRefusals(this.#opts.store, (r) => lost.push(refusedEventLetter(r, at, offsets, received))).insertEvents(
        events,
        `${range}:${digest(events.map((e) => e.id))}`,
        received,
      );
      const letters = [...dead, ...lost];
      await sink.write(letters, `${range}:${digest(letters.map((d) => d.origin))}`);
      refused = lost;
    });
    // A source's factory makes the partitions of its own topic, which holds only its events (others are dead-lettered above).
    const factory = this.#opts.pipelines?.[source as Source] as PipelineFactory | undefined;
    const windows = factory && (this.#windows.get(key) ?? (await this.#openWindows(topic, partition, factory, rawStored)));
    const figures = windows?.process(good, this.#opts.clock.now());
    if (figures && figures.late > 0) obs?.late?.(source, figures.late);
    if (figures && figures.duplicates > 0) obs?.duplicates?.(source, figures.duplicates);
    let refusedRows: DeadLetter[] = [];
    const figuresStored = figures
      ? this.#retry(`storing ${source} figures`, ctl, async () => {
          const lost: DeadLetter[] = [];
          await figures.store(splitRefusals(this.#opts.store, (r) => lost.push(refusedRowLetter(r, at))));
          if (lost.length > 0) await sink.write(lost, `${range}:rows:${digest(lost.map((d) => d.origin))}`);
          refusedRows = lost;
        })
      : undefined;
    // Both settle before either failure is thrown, so neither is left running unobserved.
    const [raw, stored] = await Promise.allSettled([rawStored, figuresStored]);
    if (raw.status === 'rejected') throw raw.reason;
    obs?.eventsIn?.(source, good.length);
    this.#opts.onEvents?.(events, { topic, partition });
    for (const d of dead) obs?.deadLettered?.(source, d.code);
    for (const d of [...refused, ...refusedRows]) obs?.deadLettered?.(source, d.code);
    if (stored.status === 'rejected') throw stored.reason;
    figures?.afterStore();
    const next = messages.at(-1)!.offset + 1;
    if (!ctl.isStale()) {
      // A failed commit loses nothing: the range is read again and every write is idempotent.
      await this.#consumer!.commit(topic, partition, windows ? windows.commitPosition(next) : next, windows?.commitMetadata()).catch(
        (err: Error) => obs?.commitFailed?.(err),
      );
    }
    this.handled += messages.length;
    if (batch.highWatermark !== undefined)
      this.#lag.set(key, { behind: Math.max(0, batch.highWatermark - next), since: messages.at(-1)!.timestamp });
  }
}
