import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../adapters/clock.js';
import type { RealtimeState } from '../pipelines/realtime/state.js';
import type { DeadLetterSink } from '../pipelines/dead-letters.js';
import type { EventPublisher } from '../pipelines/publisher.js';
import type { TelemetryStore } from '../pipelines/store/types.js';
import { ROLES, type Config } from './config.js';
import type { Metrics } from './metrics.js';
import { authPlugin } from './plugins/auth.js';
import { errorsPlugin } from './plugins/errors.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import type { IngestGuardOptions } from './routes/ingest-guard.js';
import { realtimeRoutes } from './routes/realtime.js';
import { streamRoutes } from './routes/stream.js';
import { levelSourceOf } from './routes/stream-levels.js';
import { wallboardRoutes, type WallboardOptions } from './routes/wallboard.js';
import { reportsRoutes } from './routes/reports.js';
import { workflowRoutes, type WorkflowRoutesOptions } from '../workflow/routes.js';
import { controlRoutes, type ControlRoutesOptions } from '../control/routes.js';

/** Everything the HTTP API needs, built by the composition root. */
export interface ServerDeps {
  config: Pick<Config, 'apiKeys' | 'open' | 'bodyLimitBytes' | 'logLevel'>;
  clock: Clock;
  metrics: Metrics;
  realtime: RealtimeState;
  store: TelemetryStore;
  publisher: EventPublisher;
  deadLetters: DeadLetterSink;
  /** Admission of `POST /v1/events` (the embedded pipeline's backpressure); none with Kafka. */
  ingestGuard?: IngestGuardOptions;
  checks: Map<string, ReadinessCheck>;
  /** Workflow API (flows, tickets, todos, SLA); absent when this process runs no workflow role. */
  workflow?: WorkflowRoutesOptions;
  /** Control API (routing, state, policy, overrides); absent when this process runs no control role. */
  control?: ControlRoutesOptions;
  /** Wallboard page settings (thresholds); the page is served either way. */
  wallboard?: WallboardOptions;
  state: () => 'starting' | 'running' | 'stopping';
  /** Logger options or `false` (tests). */
  logger?: boolean | object;
}

/**
 * Builds the fastify app: shared infrastructure once (errors, auth, request metrics), then one plugin
 * per API area. Every route is authenticated; schemas validate every request.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? { level: deps.config.logLevel },
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
    forceCloseConnections: 'idle',
    // Per-request lines go to debug (onResponse below); refusals and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Sluice API', version: '1' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' }, bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(errorsPlugin);
  await app.register(authPlugin, { keys: deps.config.apiKeys, open: deps.config.open });
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpSeconds.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    // Browsers pass their key in the query (`?key=`, WebSocket upgrades): never write it to the log.
    req.log.debug({ method: req.method, url: req.url.replace(/([?&]key=)[^&]*/g, '$1[redacted]'), status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });
  await app.register(healthRoutes, { metrics: deps.metrics, checks: deps.checks, state: deps.state });
  await app.register(realtimeRoutes, { realtime: deps.realtime, store: deps.store, clock: deps.clock });
  await app.register(reportsRoutes, { store: deps.store, clock: deps.clock });
  await app.register(streamRoutes, { realtime: deps.realtime, clock: deps.clock, ...(deps.control ? { levels: levelSourceOf(deps.control.service) } : {}) });
  await app.register(wallboardRoutes, deps.wallboard ?? {});
  await app.register(ingestRoutes, { publisher: deps.publisher, deadLetters: deps.deadLetters, clock: deps.clock, metrics: deps.metrics, guard: deps.ingestGuard });
  if (deps.workflow) await app.register(workflowRoutes, deps.workflow);
  if (deps.control) await app.register(controlRoutes, deps.control);
  app.get('/openapi.json', { config: { access: { roles: ROLES, action: 'read the API description' } }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
