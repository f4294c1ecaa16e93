/**
 * The pipelines' HTTP face as one fastify plugin: `POST /v1/events` (ingest, with its admission and
 * rate guard), the real-time figures (`/v1/realtime/*`) and, where this process serves reports, the
 * reports read from the store (`/v1/reports/*`). Access rules are in each route's `config.access`, enforced by the app's auth
 * plugin; errors are answered by the app's error plugin.
 *
 * @example await app.register(pipelinesRoutes, pipelines.routes);
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../adapters/clock.js';
import type {} from '../../core/http.js';
import type { DeadLetterSink } from '../dead-letters.js';
import type { EventPublisher } from '../publisher.js';
import type { RealtimeReader } from '../realtime/merge.js';
import type { TelemetryQueries } from '../store/types.js';
import { ingestRoutes, type IngestMetrics } from './ingest.js';
import type { IngestGuardOptions } from './ingest-guard.js';
import { realtimeRoutes } from './realtime.js';
import { reportsRoutes, type TenantServiceLevel } from './reports.js';

/** Options of {@link pipelinesRoutes}. */
export interface PipelinesRoutesOptions {
  readonly clock: Clock;
  readonly realtime: RealtimeReader;
  readonly store: TelemetryQueries;
  readonly publisher: EventPublisher;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: IngestMetrics;
  /** Admission and rate of `POST /v1/events` (the embedded pipeline's backpressure, per-key rate); none: unguarded. */
  readonly ingestGuard?: IngestGuardOptions;
  /** Whether this process serves the reports (`/v1/reports/*`, ClickHouse queries); default true. */
  readonly reports?: boolean;
  /** Each tenant's service-level definition, named in the interval reports (its variant among the four). */
  readonly serviceLevelOf?: (tenant: string) => TenantServiceLevel;
  /** Whether this process takes events on `POST /v1/events` (default true): false where no pipeline would get them. */
  readonly ingest?: boolean;
}

/** Registers the real-time routes, ingest unless `ingest` is false, and the reports unless `reports` is false. */
export async function pipelinesRoutes(app: FastifyInstance, o: PipelinesRoutesOptions): Promise<void> {
  await app.register(realtimeRoutes, { realtime: o.realtime, clock: o.clock });
  if (o.reports !== false)
    await app.register(reportsRoutes, {
      store: o.store,
      clock: o.clock,
      ...(o.serviceLevelOf === undefined ? {} : { serviceLevelOf: o.serviceLevelOf }),
    });
  if (o.ingest === false) return;
  await app.register(ingestRoutes, {
    publisher: o.publisher,
    deadLetters: o.deadLetters,
    clock: o.clock,
    metrics: o.metrics,
    guard: o.ingestGuard,
  });
}
