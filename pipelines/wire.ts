/**
 * One function that builds the pipelines room for the composition root: the event publisher and the
 * real-time state, the dead-letter sink, the pipeline worker with the four pipelines (when this process
 * consumes), the embedded ingest's admission (in-process bus only), the options of its fastify plugin,
 * and start/stop. {@link createPipelineWorker} is the one place that builds a worker with every
 * pipeline; the benchmarks use it too.
 *
 * @example
 * const pipelines = await createPipelines({ clock, bus, store, windows, consume: true, log, observer: metrics.pipelineObserver() });
 * await app.register(pipelinesRoutes, pipelines.routes);
 * await pipelines.start();
 */
import { MemoryBus } from '../adapters/bus/memory.js';
import type { MessageBus } from '../adapters/bus/types.js';
import { systemClock, type Clock } from '../adapters/clock.js';
import { createRedis, whenReady } from '../adapters/redis/connect.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { agentPipeline } from './agent/pipeline.js';
import { storeDeadLetters, topicDeadLetters, type DeadLetterSink } from './dead-letters.js';
import type { TelemetryEvent } from './events/types.js';
import { extensionPipeline } from './extension/pipeline.js';
import { embeddedIngest, type EmbeddedIngest, type EmbeddedIngestConfig, type EmbeddedIngestMetrics } from './http/embedded-ingest.js';
import type { IngestMetrics } from './http/ingest.js';
import { IngestRate } from './http/ingest-rate.js';
import type { PipelinesRoutesOptions } from './http/routes.js';
import { intervalPipeline } from './interval/pipeline.js';
import { CardinalityLimiter, type CardinalityOptions } from './limits/cardinality.js';
import type { PipelineFactories } from './partition.js';
import { EventPublisher } from './publisher.js';
import { PartitionedRealtime, type PartitionId } from './realtime/partitioned.js';
import type { RealtimeOptions } from './realtime/state.js';
import { skillGroupPipeline, type SkillGroupHooks } from './skillgroup/pipeline.js';
import type { TelemetryStore } from './store/types.js';
import { deadLetterTopic } from './topics.js';
import { PipelineWorker, type PipelineObserver, type PipelineWorkerOptions, type TopicPartition } from './worker.js';

/** The windows of every pipeline. Times in ms. */
export interface PipelineWindows {
  /** Watermark = max event time − this. */
  readonly outOfOrdernessMs: number;
  /** A late event still corrects windows ending up to this long before the watermark. */
  readonly allowedLatenessMs: number;
  /** Service-level threshold T of the skill-group figures. */
  readonly serviceLevelMs: number;
  /** A tenant's own threshold T, ms (its service-level definition); `serviceLevelMs` for the rest. */
  readonly serviceLevelMsOf?: (tenant: string) => number;
  /** Calls abandoned sooner than this are short abandons. */
  readonly shortAbandonMs: number;
  /** Interval window length, minutes (agent and extension; 1-minute windows are always kept). */
  readonly intervalMinutes: 15 | 30;
}

/** Where the skill-group figures go once stored: the same hooks for every partition, or hooks per partition. */
export type SkillGroupHooksOf = SkillGroupHooks | ((at: TopicPartition | undefined) => SkillGroupHooks);

/** The four pipelines with the given windows, as the worker takes them. */
export function allPipelines(w: PipelineWindows, hooks: { skillgroup?: SkillGroupHooksOf } = {}): Required<PipelineFactories> {
  const state = { outOfOrdernessMs: w.outOfOrdernessMs, allowedLatenessMs: w.allowedLatenessMs, intervalMinutes: w.intervalMinutes };
  const sg = {
    outOfOrdernessMs: w.outOfOrdernessMs,
    allowedLatenessMs: w.allowedLatenessMs,
    serviceLevelMs: w.serviceLevelMs,
    shortAbandonMs: w.shortAbandonMs,
    ...(w.serviceLevelMsOf === undefined ? {} : { serviceLevelMsOf: w.serviceLevelMsOf }),
  };
  const h = hooks.skillgroup;
  return {
    skillgroup: typeof h === 'function' ? (resume, at) => skillGroupPipeline(sg, h(at))(resume) : skillGroupPipeline(sg, h),
    agent: agentPipeline(state),
    extension: extensionPipeline(state),
    interval: intervalPipeline(),
  };
}

/** Options of {@link createPipelineWorker}: the worker's, with the windows in place of the pipelines. */
export interface CreatePipelineWorkerOptions extends Omit<PipelineWorkerOptions, 'pipelines'> {
  readonly windows: PipelineWindows;
  /** Where the skill-group figures go once stored (real-time state). */
  readonly hooks?: { skillgroup?: SkillGroupHooksOf };
}

/** A pipeline worker running all four pipelines (not started). */
export function createPipelineWorker(o: CreatePipelineWorkerOptions): PipelineWorker {
  const { windows, hooks, ...worker } = o;
  return new PipelineWorker({ ...worker, pipelines: allPipelines(windows, hooks) });
}

/** What the pipelines report, for metrics: the worker's reports and each batch of events stored. */
export interface PipelinesObserver extends PipelineObserver {
  /** A batch's valid events, once stored (offset order). */
  events?(events: readonly TelemetryEvent[]): void;
}

/** Options of {@link createPipelines}. */
export interface CreatePipelinesOptions {
  readonly clock: Clock;
  /** Source topics are created by the caller; the publisher writes to them, the worker reads them. */
  readonly bus: MessageBus;
  readonly store: TelemetryStore;
  readonly topicPrefix?: string;
  /** Consumer group of the workers (default `sluice-pipelines`). */
  readonly groupId?: string;
  readonly windows: PipelineWindows;
  /** The service-level variant and objective each tenant's real-time span figures show (its one definition). */
  readonly serviceLevelOf?: RealtimeOptions['serviceLevelOf'];
  /** Whether this process runs a pipeline worker (role `all` or `pipeline`). */
  readonly consume: boolean;
  /** Per-tenant limits of distinct names, and how long an idle name is remembered, ms (also the real-time state's). */
  readonly names?: {
    readonly limits?: CardinalityOptions['limits'];
    readonly idleMs?: number;
    readonly onRefused?: CardinalityOptions['onRefused'];
  };
  /** Events per second one API key may ingest over HTTP; absent: no limit. */
  readonly ingestEventsPerSec?: number;
  /** Redis to count `ingestEventsPerSec` in, so the limit holds across instances; absent: counted per instance. */
  readonly ingestRateRedisUrl?: string | null;
  /** Called for each ingest request refused by the rate (429). */
  readonly onIngestRateLimited?: (tenant: string) => void;
  /** The embedded ingest's settings (used on the in-process bus only: there an accepted event lives in this process until stored). */
  readonly embedded?: EmbeddedIngestConfig;
  /** Where the routes and the embedded ingest count (the app's `Metrics` fits). */
  readonly metrics: IngestMetrics & EmbeddedIngestMetrics;
  readonly observer?: PipelinesObserver;
  /** Where the room logs (a pino logger fits); default silent. */
  readonly log?: Logger;
  /**
   * Prefix of the real-time state's partition names (see {@link Pipelines.realtime}): none with Kafka,
   * where a partition is the same for every worker; this process's tag on the in-process bus, whose
   * partitions are its own (so two such processes sharing a view never mix them up).
   */
  readonly partitionNamespace?: string;
}

/** A built pipelines room. */
export interface Pipelines {
  readonly publisher: EventPublisher;
  /**
   * The real-time state of the partitions this process reads, one part per partition named
   * `[namespace/]<topic>:<partition>`; empty when it does not consume.
   */
  readonly realtime: PartitionedRealtime;
  readonly deadLetters: DeadLetterSink;
  /** The worker, when this process consumes. */
  readonly worker: PipelineWorker | undefined;
  /** The per-tenant name limits of the worker, when this process consumes. */
  readonly limiter: CardinalityLimiter | undefined;
  /** The embedded ingest (in-process bus only). */
  readonly embedded: EmbeddedIngest | undefined;
  /** Options for `app.register(pipelinesRoutes, pipelines.routes)`. */
  readonly routes: PipelinesRoutesOptions;
  /** How far behind real time the worker is, ms (0 without a worker), and events it has handled. */
  health(): { readonly consumerLagMs: number; readonly handled: number };
  /** Starts the worker (when this process consumes) and the expiry of idle real-time names. */
  start(): Promise<void>;
  /**
   * Stops the room: on the in-process bus, first waits until everything accepted is stored or `deadline`
   * (epoch ms, wall time) passes; then stops the worker and closes the publisher's producer. Idempotent.
   */
  stop(deadline?: number): Promise<void>;
}

/** See the module comment. */
export async function createPipelines(o: CreatePipelinesOptions): Promise<Pipelines> {
  const log = o.log ?? silentLogger;
  const { clock, bus, store } = o;
  const producer = await bus.producer();
  const publisher = new EventPublisher(producer, o.topicPrefix);
  const realtime = new PartitionedRealtime({
    onTimeMs: o.windows.outOfOrdernessMs,
    ...(o.names?.idleMs === undefined ? {} : { idleTtlMs: o.names.idleMs }),
    ...(o.serviceLevelOf === undefined ? {} : { serviceLevelOf: o.serviceLevelOf }),
  });
  const partId = (at: TopicPartition | undefined): PartitionId =>
    `${o.partitionNamespace === undefined ? '' : `${o.partitionNamespace}/`}${at?.topic ?? '?'}:${at?.partition ?? '?'}`;
  // Only partitions still assigned feed the state: a batch that finishes after its partition was revoked is the new owner's.
  const assigned = new Set<PartitionId>();
  const embeddedBus = bus instanceof MemoryBus;
  const deadLetters = embeddedBus
    ? storeDeadLetters(store, (row, reason) =>
        log.error({ origin: row.origin, code: row.code, reason }, 'ClickHouse refused a dead letter even sanitized; dropped'),
      )
    : topicDeadLetters(producer, deadLetterTopic(o.topicPrefix));
  // The ingest rate's own connection: commands fail fast while Redis is away (each instance then counts on its own).
  const rateRedis =
    o.ingestEventsPerSec === undefined || !o.ingestRateRedisUrl
      ? undefined
      : createRedis(o.ingestRateRedisUrl, {
          commandTimeoutMs: 250,
          onStatus: (st, err) => {
            if (st === 'error') log.warn({ err: err?.message }, 'pipelines: ingest rate store unreachable; limiting per instance');
          },
        });
  let limiter: CardinalityLimiter | undefined;
  let worker: PipelineWorker | undefined;
  if (o.consume) {
    // Every event passes here, whether it came over HTTP or straight into Kafka.
    const l = new CardinalityLimiter({
      ...(o.names?.limits && { limits: o.names.limits }),
      ...(o.names?.idleMs !== undefined && { idleMs: o.names.idleMs }),
      ...(o.names?.onRefused && { onRefused: o.names.onRefused }),
    });
    limiter = l;
    worker = createPipelineWorker({
      bus,
      store,
      deadLetters,
      clock,
      ...(o.groupId !== undefined && { groupId: o.groupId }),
      ...(o.topicPrefix !== undefined && { topicPrefix: o.topicPrefix }),
      windows: o.windows,
      hooks: {
        skillgroup: (at) => {
          const id = partId(at);
          return {
            onRows: (rows) => {
              if (assigned.has(id)) realtime.applyRows(id, rows, clock.now());
            },
            onSliding: (figures) => {
              if (assigned.has(id)) realtime.applySliding(id, figures, clock.now());
            },
          };
        },
      },
      ...(o.observer && { observer: o.observer }),
      admit: (event, now) => l.admit(event, now),
      onEvents: (events, from) => {
        const id = partId(from);
        if (assigned.has(id)) realtime.apply(id, events, clock.now());
        o.observer?.events?.(events);
      },
      onAssignment: (parts) => {
        assigned.clear();
        for (const p of parts) assigned.add(partId(p));
        realtime.retain(assigned);
      },
    });
  }
  const w = worker;
  // In-process bus: an event accepted lives only in this process until stored, so ingest is bounded by what
  // the worker can store within the shutdown timeout. With Kafka an event is safe once the brokers acknowledged it.
  const embedded =
    embeddedBus && o.embedded
      ? embeddedIngest({ config: o.embedded, bus, publisher, stored: () => w?.handled ?? 0, metrics: o.metrics, log })
      : undefined;
  let expiry: ReturnType<typeof setInterval> | undefined;
  let stopped: Promise<void> | undefined;
  return {
    publisher,
    realtime,
    deadLetters,
    worker,
    limiter,
    embedded,
    routes: {
      clock,
      realtime,
      store,
      publisher,
      deadLetters,
      metrics: o.metrics,
      ingestGuard: {
        ...embedded?.guard,
        ...(o.ingestEventsPerSec !== undefined && {
          rate: new IngestRate(o.ingestEventsPerSec, 1, rateRedis === undefined ? undefined : { redis: rateRedis }),
        }),
        ...(o.onIngestRateLimited && { onRateLimited: o.onIngestRateLimited }),
      },
    },
    health: () => ({ consumerLagMs: w?.lagMs(clock.now()) ?? 0, handled: w?.handled ?? 0 }),
    async start() {
      expiry = setInterval(() => realtime.expire(clock.now()), 60_000);
      expiry.unref();
      // Give the rate's connection a moment; until it is up each instance counts on its own.
      if (rateRedis !== undefined) await whenReady(rateRedis, 2_000, clock);
      if (w === undefined) return;
      await w.start();
      log.info({ topics: w.topics, group: o.groupId }, 'pipeline worker consuming');
    },
    stop: (deadline) =>
      (stopped ??= (async () => {
        // In-process bus: nothing survives the process, so everything accepted is stored before the worker stops.
        if (w && embedded) await embedded.drain(deadline ?? systemClock.now());
        await w?.stop();
        clearInterval(expiry);
        rateRedis?.disconnect();
        await producer.close().catch((err: Error) => log.warn({ err: err.message }, 'pipelines: error while closing the producer'));
      })()),
  };
}
