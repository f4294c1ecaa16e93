import type { Logger } from '../../core/logger.js';
import { Counter, type Registry } from 'prom-client';
import type { MemoryBus } from '../../adapters/bus/memory.js';
import { systemClock, type Clock } from '../../adapters/clock.js';
import type { TelemetryEvent } from '../events/types.js';
import type { EventPublisher } from '../publisher.js';
import { IngestAdmission } from './ingest-admission.js';
import type { IngestGuardOptions } from './ingest-guard.js';
import { MAX_EVENTS_PER_REQUEST } from './ingest.js';

/**
 * Most messages the in-process bus holds for a ceiling of `maxPending` events waiting: the events waiting
 * (never more than the ceiling, or one whole request when nothing else waits) fit in half; the other half
 * keeps events already stored whose windows are still open (freed under this limit).
 */
export function embeddedBusLimit(maxPending: number): number {
  return 2 * Math.max(maxPending, MAX_EVENTS_PER_REQUEST);
}

/** The settings of the embedded ingest (`SLUICE_SHUTDOWN_TIMEOUT_MS`, `SLUICE_INGEST_MAX_PENDING`, `SLUICE_INGEST_TENANT_SHARE`). */
export interface EmbeddedIngestConfig {
  /** How long a graceful stop may take, ms: what waits must be storable within it. */
  readonly shutdownTimeoutMs: number;
  /** Most events that may wait to be stored. */
  readonly ingestMaxPending: number;
  /** Share of the waiting room one tenant may hold, 0–1. */
  readonly ingestTenantShare: number;
}

/** Where the embedded ingest registers its metrics (the app's `Metrics` fits). */
export interface EmbeddedIngestMetrics {
  readonly registry: Registry;
  /** A gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void;
}

/** The name the simulator's requests are admitted under (not a valid tenant name, so no tenant shares it). */
const SIMULATOR_TENANT = '(simulator)';

/** What {@link embeddedIngest} wires. */
export interface EmbeddedIngest {
  readonly admission: IngestAdmission;
  /** For `POST /v1/events`. */
  readonly guard: IngestGuardOptions;
  /** Publishes a batch once admitted, waiting for room as long as needed (the demo's simulator); rejects when `signal` aborts. */
  publishWhenAdmitted(events: TelemetryEvent[], signal?: AbortSignal): Promise<void>;
  /**
   * Waits until every accepted event is stored or `deadline` (epoch ms, wall time) passes; logs what was
   * stored, or as an error what is lost. True when nothing accepted is left unstored.
   */
  drain(deadline: number): Promise<boolean>;
}

/**
 * "Accepted means stored" for the embedded default (no `KAFKA_BROKERS`): ingest's admission sized from the
 * worker's measured storing rate and `SLUICE_SHUTDOWN_TIMEOUT_MS` (see {@link IngestAdmission}), its metrics,
 * the simulator's waiting, and the drain of a graceful stop. Time is the wall clock: the storing rate and the
 * shutdown timeout are wall-time quantities whatever clock the domain runs on (the bench rig's is manual).
 */
export function embeddedIngest(o: {
  config: EmbeddedIngestConfig;
  bus: MemoryBus;
  publisher: EventPublisher;
  /** Events stored so far (the pipeline worker's `handled`; 0 when this process runs no worker). */
  stored: () => number;
  metrics: EmbeddedIngestMetrics;
  log: Logger;
  clock?: Clock;
}): EmbeddedIngest {
  const clock = o.clock ?? systemClock;
  const admission = new IngestAdmission({
    clock,
    accepted: () => o.publisher.published,
    stored: o.stored,
    shutdownTimeoutMs: o.config.shutdownTimeoutMs,
    maxPending: o.config.ingestMaxPending,
    tenantShare: o.config.ingestTenantShare,
  });
  const refusals = new Counter({
    name: 'sluice_ingest_backlog_refusals_total',
    help: 'POST /v1/events requests refused (503) because as many accepted events wait to be stored as can be stored within the shutdown timeout.',
    registers: [o.metrics.registry],
  });
  o.metrics.gauge('sluice_ingest_pending_events', 'Events accepted on the in-process bus and not yet stored.', () => admission.pending);
  o.metrics.gauge(
    'sluice_ingest_pending_limit_events',
    'Most events that may wait to be stored now (measured storing rate × shutdown timeout share, capped by SLUICE_INGEST_MAX_PENDING).',
    () => admission.bound,
  );
  o.metrics.gauge(
    'sluice_bus_messages',
    'Messages the in-process bus holds (waiting, or stored but still feeding open windows).',
    () => o.bus.held,
  );
  return {
    admission,
    guard: { admission, onRefused: () => refusals.inc() },
    async publishWhenAdmitted(events, signal) {
      // The simulator counts as one tenant of its own: it gets its share, and API ingest the rest.
      const release = await admission.admit(events.length, signal, 100, SIMULATOR_TENANT);
      try {
        await o.publisher.publish(events);
      } finally {
        release();
      }
    },
    async drain(deadline) {
      while (admission.pending > 0 && clock.now() < deadline) await new Promise<void>((r) => clock.setTimeout(r, 20));
      const left = admission.pending;
      if (left > 0) {
        o.log.error(
          { lost: left, stored: o.stored(), shutdownTimeoutMs: o.config.shutdownTimeoutMs },
          `shutdown deadline passed: ${left} accepted events were not stored and are lost (is ClickHouse down? SLUICE_SHUTDOWN_TIMEOUT_MS may be too short)`,
        );
        return false;
      }
      o.log.info({ stored: o.stored() }, 'every accepted event is stored');
      return true;
    },
  };
}
