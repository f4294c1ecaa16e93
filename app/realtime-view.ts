/**
 * Which real-time view this process serves (`GET /v1/realtime/*`, the stream, the wallboard, the control
 * loop's snapshots), and where the stream's levels come from.
 *
 * - Shared, when Redis is set and the roles are split (or Kafka spreads the partitions over several `all`
 *   instances): a worker publishes its partitions' state, and every instance, whatever its role, serves
 *   the sum of every worker's partitions read back from Redis (`pipelines/realtime/shared.ts`).
 * - Otherwise (one process, or no Redis): this process's own partitions, from memory, as before.
 *
 * A process without the control loop but with Redis reads the leader's levels from it, so its stream
 * carries them too.
 */
import type { Clock } from '../adapters/clock.js';
import type { StateStore } from '../adapters/state/types.js';
import type { Logger } from '../core/logger.js';
import type { QueueSnapshot } from '../core/messages.js';
import type { RealtimeReader } from '../pipelines/realtime/merge.js';
import type { PartitionedRealtime } from '../pipelines/realtime/partitioned.js';
import { RealtimePublisher, SharedRealtime } from '../pipelines/realtime/shared.js';
import type { Config } from './config.js';
import type { Metrics } from './metrics.js';
import { StoreLevelSource } from './routes/stream-levels-shared.js';
import type { LevelSource } from './routes/stream-levels.js';

/** The real-time view of a process, as {@link wireRealtime} builds it. */
export interface RealtimeWiring {
  /** What the routes, the stream and the control loop read. */
  readonly view: RealtimeReader & { snapshots(now: number): QueueSnapshot[] };
  /** Levels for the stream when control runs elsewhere; undefined: this process's control loop, or none. */
  readonly levels: LevelSource | undefined;
  /** This worker's publisher, when it consumes and the view is shared. */
  readonly publisher: RealtimePublisher | undefined;
  /** The shared view, when the view is shared. */
  readonly shared: SharedRealtime | undefined;
  /** Starts publishing and reading. */
  start(): void;
  /** Stops reading, and withdraws what this worker published. Never throws. */
  close(): Promise<void>;
}

/** Whether the real-time view is shared through Redis (see the module comment). */
export function sharesRealtime(config: Pick<Config, 'redisUrl' | 'role' | 'kafkaBrokers'>): boolean {
  return config.redisUrl !== null && (config.role !== 'all' || config.kafkaBrokers !== null);
}

/** See the module comment. */
export function wireRealtime(o: {
  readonly config: Pick<Config, 'redisUrl' | 'role' | 'kafkaBrokers' | 'realtimePublishMs' | 'realtimeStaleMs'>;
  readonly clock: Clock;
  readonly store: StateStore;
  /** This process's own partitions (empty when it does not consume). */
  readonly local: PartitionedRealtime;
  readonly consumes: boolean;
  readonly runsControl: boolean;
  readonly instanceId: string;
  readonly log: Logger;
  readonly metrics: Metrics;
}): RealtimeWiring {
  const { config, clock, store, log, metrics } = o;
  const warn = (what: string) => (err: unknown) => log.warn({ err: (err as Error).message }, what);
  const levels =
    !o.runsControl && config.redisUrl !== null
      ? new StoreLevelSource({ store, clock, pollMs: 2 * config.realtimePublishMs, onError: warn('reading the levels failed') })
      : undefined;
  if (!sharesRealtime(config)) {
    const local = o.local;
    return {
      view: local,
      levels,
      publisher: undefined,
      shared: undefined,
      start: () => levels?.start(),
      close: async () => levels?.stop(),
    };
  }
  const timing = { periodMs: config.realtimePublishMs };
  const publisher = o.consumes
    ? new RealtimePublisher({
        store,
        clock,
        source: o.local,
        owner: o.instanceId,
        ...timing,
        staleMs: config.realtimeStaleMs,
        onError: warn('publishing the real-time state failed'),
      })
    : undefined;
  const shared = new SharedRealtime({ store, clock, ...timing, onError: warn('reading the shared real-time state failed') });
  metrics.gauge(
    'sluice_realtime_partitions',
    'Source partitions in the shared real-time view this instance serves.',
    () => shared.stats(clock.now()).partitions,
  );
  metrics.gauge(
    'sluice_realtime_publishers',
    'Pipeline workers whose partitions are in the shared real-time view.',
    () => shared.stats(clock.now()).publishers,
  );
  metrics.gauge(
    'sluice_realtime_staleness_seconds',
    'Age of the oldest partition state in the shared real-time view (grows while Redis is unreachable).',
    () => shared.stats(clock.now()).stalenessMs / 1000,
  );
  if (publisher) {
    metrics.gauge(
      'sluice_realtime_published_partitions',
      'Source partitions this worker publishes to the shared real-time view.',
      () => publisher.publishing,
    );
  }
  return {
    view: shared,
    levels,
    publisher,
    shared,
    start() {
      publisher?.start();
      shared.start();
      levels?.start();
    },
    async close() {
      shared.stop();
      await levels?.stop();
      await publisher?.stop();
    },
  };
}
