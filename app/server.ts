import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import type { Clock } from '../adapters/clock.js';
import type { RealtimeReader } from '../pipelines/realtime/merge.js';
import { pipelinesRoutes, type PipelinesRoutesOptions } from '../pipelines/http/routes.js';
import { ROLES } from '../core/access.js';
import { LIMIT_DEFAULTS, type Config, type ProcessRole } from './config.js';
import { INGEST_GROUP, otherRoleRoutes, ROUTE_GROUPS, servesReports } from './process-roles.js';
import { SlowReportLane, slowReports } from './report-lane.js';
import { NEVER_SLOW, type NonCriticalGate } from '../core/non-critical.js';
import type { Metrics } from './metrics.js';
import { authPlugin } from './plugins/auth.js';
import { errorsPlugin } from './plugins/errors.js';
import { jsonDepthPlugin } from './plugins/json-depth.js';
import { healthRoutes, type HealthOptions, type ReadinessCheck } from './routes/health.js';
import { streamRoutes } from './routes/stream.js';
import { levelSourceOf, type LevelSource } from './routes/stream-levels.js';
import { wallboardRoutes, type WallboardOptions } from './routes/wallboard.js';
import { studioPageRoutes } from './routes/studio.js';
import { workflowRoutes, type WorkflowRoutesOptions } from '../workflow/http/routes.js';
import { slaReportRoutes, type SlaReportOptions } from '../workflow/http/reports.js';
import { controlRoutes, type ControlRoutesOptions } from '../control/http/routes.js';

/** The server's own limits (README, "Configuration"); tests may leave them out to get {@link LIMIT_DEFAULTS}. */
type ServerLimits = typeof LIMIT_DEFAULTS;

/**
 * Options of the WebSocket server (ws). Clients send nothing but small `subscribe` messages and
 * pings: 4 KiB is plenty. Pings are answered by the stream route itself (autoPong off), within the
 * client's frame budget, so a client cannot make the server queue pongs it never reads.
 */
export const WEBSOCKET_OPTIONS = Object.freeze({ maxPayload: 4096, autoPong: false });

/** Everything the HTTP API needs, built by the composition root. */
export interface ServerDeps {
  config: Pick<Config, 'apiKeys' | 'open' | 'bodyLimitBytes' | 'logLevel'> & Partial<ServerLimits>;
  clock: Clock;
  metrics: Metrics;
  /** The real-time state the stream pushes. */
  realtime: RealtimeReader;
  /**
   * Ingest, real-time and reports API (the pipelines room's `routes`); absent when this process serves none of
   * it. The clock, metrics and real-time state above are used where it names none of its own.
   */
  pipelines?: Omit<PipelinesRoutesOptions, 'clock' | 'metrics' | 'realtime'> & Partial<PipelinesRoutesOptions>;
  checks: Map<string, ReadinessCheck>;
  /**
   * Readiness per role: the checks this role works without (reported, not failing readiness), each check's bound,
   * and what `GET /v1/status` adds for platform keys (`routes/health.ts`).
   */
  health?: Pick<HealthOptions, 'optional' | 'checkTimeoutMs' | 'describe'>;
  /** Workflow API (flows, tickets, todos, SLA); absent when this process runs no workflow role. */
  workflow?: WorkflowRoutesOptions;
  /** Control API (routing, state, policy, overrides); absent when this process runs no control role. */
  control?: ControlRoutesOptions;
  /**
   * Where the stream reads the control loop's levels; default the control loop of this process (when it
   * runs one). A process without control reads them from the state store (`stream-levels-shared.ts`).
   */
  levels?: LevelSource;
  /**
   * This process's role (default `all`): whether it serves the reports (`/v1/reports/*`: `all`, `reporting`), and
   * what it answers on the routes of the groups it does not serve (404 `SLUICE_ERR_ROLE_ROUTE`, `app/process-roles.ts`).
   */
  role?: ProcessRole;
  /**
   * Whether this process takes events on `POST /v1/events` (default true); false answers it 404
   * `SLUICE_ERR_ROLE_ROUTE` naming the pipeline role (`servesIngest` in `app/process-roles.ts`).
   */
  ingest?: boolean;
  /** The SLA report's history where reports are served without the workflow API (the `reporting` role). */
  slaReports?: SlaReportOptions;
  /**
   * The control loop's advice on non-critical work (default: nothing slowed): a slowed tenant's stream pushes go
   * 4× less often (`routes/stream-pace.ts`) and its reports through the slowed lane (`report-lane.ts`).
   */
  nonCritical?: NonCriticalGate;
  /** Wallboard page settings (thresholds); the page is served either way. */
  wallboard?: WallboardOptions;
  state: () => 'starting' | 'running' | 'stopping';
  /** Logger options or `false` (tests). */
  logger?: boolean | object;
}

/** How every request is validated: query arrays coerced, unknown fields refused (never silently removed). */
export const AJV_OPTIONS = Object.freeze({ customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } } as const);

/**
 * Builds the fastify app: shared infrastructure once (errors, auth, request metrics), then one plugin
 * per API area. Every route is authenticated; schemas validate every request.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const limits = withDefaults(deps.config);
  const app = Fastify({
    logger: deps.logger ?? { level: deps.config.logLevel },
    bodyLimit: deps.config.bodyLimitBytes,
    // A slow or idle client cannot hold a connection for ever (slowloris); WebSockets are exempt once upgraded.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    genReqId: () => randomUUID(),
    ajv: AJV_OPTIONS,
    forceCloseConnections: 'idle',
    // Per-request lines go to debug (onResponse below); refusals and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Sluice API', version: '1' },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' }, bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  app.server.headersTimeout = limits.headersTimeoutMs;
  app.server.maxConnections = limits.maxConnections;
  const limitHits = limitCounter(deps.metrics);
  // Node drops a connection beyond maxConnections before any byte is read: only a count can say so.
  app.server.on('drop', () => limitHits.inc({ limit: 'connections' }));
  await app.register(websocket, {
    options: WEBSOCKET_OPTIONS,
    // ws reports a client's broken or oversized frame as a socket error and drops the connection:
    // the client's fault, so not logged as a server error (a client could fill the log with them).
    errorHandler: (err, socket, req) => {
      limitHits.inc({ limit: 'stream_frame' });
      req.log.info({ code: (err as { code?: string }).code, reason: err.message }, 'stream closed: bad frame');
      socket.terminate();
    },
  });
  await app.register(errorsPlugin);
  await app.register(jsonDepthPlugin, { maxDepth: limits.jsonMaxDepth, onRefused: () => limitHits.inc({ limit: 'json_depth' }) });
  await app.register(authPlugin, { keys: deps.config.apiKeys, open: deps.config.open });
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpSeconds.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    // Browsers pass their key in the query (`?key=`, WebSocket upgrades): never write it to the log.
    req.log.debug(
      { method: req.method, url: req.url.replace(/([?&]key=)[^&]*/g, '$1[redacted]'), status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });
  await app.register(healthRoutes, { metrics: deps.metrics, checks: deps.checks, state: deps.state, ...deps.health });
  const role = deps.role ?? 'all';
  const reports = servesReports(role);
  const nonCritical = deps.nonCritical ?? NEVER_SLOW;
  if (reports) {
    slowReports(app, {
      gate: nonCritical,
      lane: new SlowReportLane({ clock: deps.clock }),
      onSlowed: (work, tenant) => deps.metrics.nonCriticalSlowed(work, tenant),
    });
  }
  if (deps.pipelines)
    await app.register(pipelinesRoutes, {
      clock: deps.clock,
      metrics: deps.metrics,
      realtime: deps.realtime,
      ...deps.pipelines,
      reports,
      ingest: deps.ingest !== false,
    });
  await app.register(streamRoutes, {
    realtime: deps.realtime,
    clock: deps.clock,
    maxPerKey: limits.streamMaxPerKey,
    maxConnections: limits.streamMaxConnections,
    messagesPerMinute: limits.streamMessagesPerMinute,
    onLimit: (limit) => limitHits.inc({ limit }),
    nonCritical,
    onSlowed: (tenant) => deps.metrics.nonCriticalSlowed('stream_push', tenant),
    ...(deps.levels ? { levels: deps.levels } : deps.control ? { levels: levelSourceOf(deps.control.service) } : {}),
  });
  await app.register(wallboardRoutes, deps.wallboard ?? {});
  // The flow studio's page (issue 19): public static assets; its data comes over the workflow API.
  await app.register(studioPageRoutes);
  if (deps.workflow) await app.register(workflowRoutes, { ...deps.workflow, reports });
  else if (reports && deps.slaReports) await app.register(slaReportRoutes, deps.slaReports);
  if (deps.control) await app.register(controlRoutes, deps.control);
  const served = { control: deps.control !== undefined, workflow: deps.workflow !== undefined, reporting: reports };
  const notServed = ROUTE_GROUPS.filter((g) => !served[g.role]);
  await app.register(otherRoleRoutes, { role, groups: deps.ingest === false ? [...notServed, INGEST_GROUP] : notServed });
  app.get('/openapi.json', { config: { access: { roles: ROLES, action: 'read the API description' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}

/** `sluice_server_limit_hits_total{limit}`: requests, connections and stream clients a limit refused or closed. */
function limitCounter(metrics: Metrics): Counter<'limit'> {
  const name = 'sluice_server_limit_hits_total';
  return (
    (metrics.registry.getSingleMetric(name) as Counter<'limit'> | undefined) ??
    new Counter({
      name,
      help: 'Requests, connections and stream clients refused or closed by a server limit, by limit.',
      labelNames: ['limit'],
      registers: [metrics.registry],
    })
  );
}

function withDefaults(config: Partial<ServerLimits>): ServerLimits {
  const keys = Object.keys(LIMIT_DEFAULTS) as (keyof ServerLimits)[];
  return Object.fromEntries(keys.map((k) => [k, config[k] ?? LIMIT_DEFAULTS[k]])) as unknown as ServerLimits;
}

/**
 * Closes the server within `graceMs`: it stops accepting at once and lets requests in flight finish,
 * then destroys whatever is still open — a request whose client never finishes its body, a stream client
 * that does not answer the close handshake — so no client can hold a graceful stop past its timeout (what
 * was accepted is stored after this step, within `SLUICE_SHUTDOWN_TIMEOUT_MS`).
 */
export async function closeServer(app: FastifyInstance, graceMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = app.close();
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
    timer.unref();
  });
  if ((await Promise.race([closed, late])) === 'late') {
    app.log.warn({ graceMs }, 'connections still open after the grace period: closing them');
    app.server.closeAllConnections();
    for (const client of app.websocketServer?.clients ?? []) client.terminate();
  }
  clearTimeout(timer);
  await closed;
}
