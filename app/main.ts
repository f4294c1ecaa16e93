import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { KafkaBus } from '../adapters/bus/kafka.js';
import { MemoryBus } from '../adapters/bus/memory.js';
import type { MessageBus } from '../adapters/bus/types.js';
import { systemClock, type Clock } from '../adapters/clock.js';
import { connectClickHouse, type ClickHouse } from '../adapters/clickhouse/connect.js';
import { redactUrl } from '../adapters/redact.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { RedisStateStore } from '../adapters/state/redis.js';
import type { StateStore } from '../adapters/state/types.js';
import { SOURCES, type TelemetryEvent } from '../pipelines/events/types.js';
import { TrafficSimulation } from '../simulator/model.js';
import { pace } from '../simulator/pacer.js';
import { buildScenario } from '../simulator/scenario.js';
import { publisherSink } from '../simulator/sinks.js';
import { startDemoTickets } from './demo-tickets.js';
import {
  DEMO_INTERVAL_SEC,
  demoHistoryStart,
  demoPeaks,
  demoShiftStart,
  startDemoControl,
  storedMinutesUntil,
  type DemoControl,
} from './demo-control.js';
import { ClickHouseTelemetryStore } from '../pipelines/store/clickhouse.js';
import type { TelemetryStore } from '../pipelines/store/types.js';
import { deadLetterTopic, topicFor } from '../pipelines/topics.js';
import type { PipelineWorker } from '../pipelines/worker.js';
import { createPipelines } from '../pipelines/wire.js';
import { configSummary, type Config } from './config.js';
import { buildInfo } from './build-info.js';
import { Metrics } from './metrics.js';
import { ServiceLevelMetrics } from './service-level-metrics.js';
import { serviceLevelOf } from './service-level.js';
import { optionalChecks, servesIngest } from './process-roles.js';
import { knownTenants } from './metric-labels.js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createAlertSink, createWorkflow, createWorkflowReports, type Workflow, type WorkflowReports } from '../workflow/wire.js';
import type { AlertSink } from '../core/alerts.js';
import { createControl, type Control, type CreateControlOptions } from '../control/wire.js';
import { SharedNonCriticalGate } from '../control/index.js';
import { NEVER_SLOW, type NonCriticalGate } from '../core/non-critical.js';
import { wireRealtime, type RealtimeWiring } from './realtime-view.js';
import type { ReadinessCheck } from './routes/health.js';
import { buildServer, closeServer } from './server.js';
import { embeddedBusLimit } from '../pipelines/http/embedded-ingest.js';
import { callbackTicketsToQueue, consumeCallbackQueue } from './callback-queue.js';
import { checkClickHouse, kafkaBusOptions, topicCreationError, warnIfRedisForgets } from './prerequisites.js';
import { BearerTokenVerifier } from '../adapters/oidc/verifier.js';
import { RemoteIssuerKeys } from '../adapters/oidc/remote-keys.js';

/** A running Sluice. */
export interface Sluice {
  readonly app: FastifyInstance;
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly metrics: Metrics;
  /** The ClickHouse (server or chDB) Sluice stores into; `sluice dashboards check` queries it. */
  readonly clickhouse: ClickHouse;
  readonly worker: PipelineWorker | undefined;
  /** The real-time view this process serves (shared through Redis or its own), and its publisher if any. */
  readonly realtime: Pick<RealtimeWiring, 'view' | 'publisher' | 'shared'>;
  /** The control loop, when this process runs it. */
  readonly control: Control | undefined;
  /** The traffic model feeding the demo, when it runs. */
  readonly simulator: { readonly sent: () => number; stop(): Promise<void> } | undefined;
  /** `sluice demo`'s calls routed through control (`SLUICE_DEMO` with the simulator and control in this process). */
  readonly demoControl: DemoControl | undefined;
  /** Stops in order: stop accepting, stop the simulator, drain, stop the worker, close adapters. */
  close(): Promise<void>;
}

/** Options for {@link startSluice}. */
export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Fastify logger setting (default: the pino logger). */
  httpLogger?: boolean;
  /** Wraps the telemetry store the pipelines and API use (the bench harness slows ClickHouse down with it). */
  wrapStore?: (store: TelemetryStore) => TelemetryStore;
  /** Control-loop tuning (tick, level thresholds, pressure weights, …) over the defaults. */
  control?: CreateControlOptions['tuning'];
}

/**
 * The composition root: picks each adapter (real when its URL is set, in-memory twin otherwise),
 * wires the pipelines, the API and the simulator, and starts listening.
 */
export async function startSluice(config: Readonly<Config>, opts: StartOptions = {}): Promise<Sluice> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? pino({ level: config.logLevel });
  // What this process runs with, secrets hidden: the first thing to compare when two instances behave differently.
  log.info({ build: buildInfo(), config: configSummary(config) }, 'configuration');
  const metrics = new Metrics({
    serviceLevelSeconds: config.serviceLevelMs / 1000,
    shortAbandonSeconds: config.shortAbandonMs / 1000,
    labels: { tenants: knownTenants(config), valuesPerLabel: config.metricLabelValues },
  });
  // Each tenant's one service-level definition (app/service-level.ts): the pipelines count "within" against its T,
  // the real-time figures show its variant, and these metrics carry both.
  const serviceLevels = config.serviceLevels;
  const serviceLevelMetrics = new ServiceLevelMetrics({
    registry: metrics.registry,
    labels: metrics.labels,
    settings: serviceLevels,
    shortAbandonMs: config.shortAbandonMs,
    tenants: knownTenants(config),
  });
  let state: 'starting' | 'running' | 'stopping' = 'starting';
  const closers: (() => Promise<void>)[] = [];
  const checks = new Map<string, ReadinessCheck>();
  closers.push(async () => metrics.close());

  try {
    const ch = await connectClickHouse(
      config.clickhouseUrl
        ? { kind: 'server', url: config.clickhouseUrl, username: config.clickhouseUser, password: config.clickhousePassword }
        : { kind: 'chdb', path: config.chdbPath },
      config.clickhouseDatabase,
      { cluster: config.clickhouseCluster, log },
    );
    let lastInsertMs = 0;
    const chStore = await ClickHouseTelemetryStore.open(ch, {
      rawTtlDays: config.ttlDays,
      cluster: config.clickhouseCluster,
      observe: (table, rows, seconds) => {
        lastInsertMs = seconds * 1000;
        metrics.observeInsert(table, rows, seconds);
      },
    });
    const store: TelemetryStore = opts.wrapStore ? opts.wrapStore(chStore) : chStore;
    checks.set('clickhouse', async () => (await ch.client.ping()).success);
    closers.unshift(() => store.close());
    // The server's version and Sluice's grants, once: a missing grant would otherwise stall a worker's inserts (issue 21).
    await checkClickHouse(ch, log);
    log.info(
      {
        clickhouse: config.clickhouseUrl ? redactUrl(config.clickhouseUrl) : `chdb:${config.chdbPath}`,
        database: config.clickhouseDatabase,
      },
      'ClickHouse ready',
    );

    let stateStore: StateStore;
    if (config.redisUrl) {
      const redis = new RedisStateStore({
        url: config.redisUrl,
        onStatus: (s, err) => (s === 'error' ? log.warn({ err: err?.message }, 'Redis unreachable') : log.info('Redis connected')),
      });
      await redis.ready();
      await warnIfRedisForgets(config, log);
      stateStore = redis;
      checks.set('redis', () => redis.ping());
    } else {
      stateStore = new MemoryStateStore(clock);
    }
    closers.unshift(() => stateStore.close());

    const bus: MessageBus = config.kafkaBrokers
      ? new KafkaBus(kafkaBusOptions(config, log))
      : new MemoryBus({ maxMessages: embeddedBusLimit(config.ingestMaxPending) });
    closers.unshift(() => bus.close());
    await bus
      .ensureTopics(
        [...SOURCES.map((s) => topicFor(s, config.kafkaTopicPrefix)), deadLetterTopic(config.kafkaTopicPrefix)].map((topic) => ({
          topic,
          partitions: config.kafkaPartitions,
        })),
      )
      .catch((err: unknown) => {
        throw topicCreationError(err, config);
      });
    log.info({ kafka: config.kafkaBrokers ?? 'in-process' }, 'event bus ready');

    const pipelines = await createPipelines({
      clock,
      bus,
      store,
      topicPrefix: config.kafkaTopicPrefix,
      groupId: config.kafkaGroupId,
      windows: {
        outOfOrdernessMs: config.outOfOrdernessMs,
        allowedLatenessMs: config.allowedLatenessMs,
        serviceLevelMs: config.serviceLevelMs,
        serviceLevelMsOf: (tenant) => serviceLevelOf(serviceLevels, tenant).thresholdMs,
        shortAbandonMs: config.shortAbandonMs,
        intervalMinutes: config.intervalMinutes,
      },
      serviceLevelOf: (tenant) => serviceLevelOf(serviceLevels, tenant),
      consume: config.role === 'all' || config.role === 'pipeline',
      names: { limits: config.cardinalityLimits, idleMs: config.nameIdleMs, onRefused: metrics.cardinalityRefused },
      ingestEventsPerSec: config.ingestEventsPerSec,
      ingestRateRedisUrl: config.redisUrl,
      onIngestRateLimited: metrics.ingestRateRefused,
      embedded: config,
      metrics,
      observer: {
        ...metrics.pipelineObserver(),
        events: (events) => {
          metrics.observeEvents(events);
          serviceLevelMetrics.observeEvents(events);
        },
      },
      log,
      // Kafka's partitions are the fleet's; the in-process bus's are this process's own.
      ...(config.kafkaBrokers ? {} : { partitionNamespace: `${hostname()}:${process.pid}` }),
    });
    closers.unshift(() => pipelines.stop());
    const { publisher, realtime, worker, embedded } = pipelines;
    if (pipelines.limiter) metrics.observeCardinality(pipelines.limiter);
    await pipelines.start();
    if (worker) {
      const w = worker;
      metrics.observeRealtime(realtime, () => clock.now());
      serviceLevelMetrics.observeRealtime(realtime, () => clock.now());
      metrics.gauge(
        'sluice_window_state_partitions',
        'Source partitions holding event-time window state in this worker.',
        () => w.windowCount,
      );
      metrics.observeWindowState(() => w.stateSize());
      metrics.gauge(
        'sluice_consumer_lag_messages',
        'Messages produced to the source topics but not yet handled by this worker.',
        () => w.lagMessages,
      );
      metrics.gauge(
        'sluice_consumer_lag_seconds',
        'How far behind real time this worker is (partition furthest behind).',
        () => w.lagMs(clock.now()) / 1000,
      );
    }
    const rt = wireRealtime({
      config,
      clock,
      store: stateStore,
      local: realtime,
      consumes: worker !== undefined,
      runsControl: config.role === 'all' || config.role === 'control',
      // Unique per start, even for several instances in one process (tests): a partition's lease names its writer.
      instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      log,
      metrics,
    });
    rt.start();
    closers.unshift(() => rt.close());

    let workflow: Workflow | undefined;
    if (config.role === 'all' || config.role === 'workflow') {
      const wf = await createWorkflow({
        clock,
        redisUrl: config.redisUrl,
        clickhouse: ch,
        log,
        instanceId: `${hostname()}:${process.pid}`,
        tenants: config.tenants,
        webhookUrl: config.webhookUrl,
        observeInsert: metrics.observeInsert,
        // Alerts (issue 17): the configured channels; the outbox is Redis when REDIS_URL is set, this instance delivers.
        alerts: {
          channels: config.alerts.channels,
          defaultLanguage: config.alerts.language,
          tenantLanguages: config.alerts.tenantLanguages,
          worker: { maxAttempts: config.alerts.maxAttempts, retryBaseMs: config.alerts.retryBaseMs, retryCapMs: config.alerts.retryCapMs },
        },
        // People directory (issue 17): on Redis when configured; the open demo seeds a billing department.
        demoDirectory: config.open,
      });
      workflow = wf;
      closers.unshift(() => wf.stop());
      if (config.redisUrl) checks.set('workflow-redis', () => wf.ping());
      metrics.observeWorkflow(wf, config.tenants);
      if (wf.alerts.worker) metrics.observeAlertDeliveries(wf.alerts.worker);
      metrics.observeAssignment(wf, config.tenants);
      await wf.start();
      log.info({ store: config.redisUrl ? 'redis' : 'memory', tenants: config.tenants }, 'workflow service running');
      // Control runs elsewhere: its callback tickets arrive through the durable queue.
      if (config.role === 'workflow') {
        const deps = { config, bus, log, onClose: (fn: () => Promise<void>) => closers.unshift(fn) };
        await consumeCallbackQueue(deps, wf.callbackTickets, `${hostname()}:${process.pid}`, clock);
      }
    }

    // The reporting role answers the workflow's SLA report from the history the workflow instances write.
    let workflowReports: WorkflowReports | undefined;
    if (config.role === 'reporting') {
      const r = await createWorkflowReports({ clickhouse: ch, clock, instanceId: `${hostname()}:${process.pid}` });
      workflowReports = r;
      closers.unshift(() => r.stop());
      if (!config.clickhouseUrl)
        log.warn(
          "reporting role on the embedded chDB: reports read only this process's database; set CLICKHOUSE_URL to the server the other roles write to",
        );
      log.info('reporting: serving /v1/reports/*');
    }

    let control: Control | undefined;
    if (config.role === 'all' || config.role === 'control') {
      // Same process: straight into the workflow service; workflow elsewhere: through the durable queue.
      const callbackTickets =
        workflow?.callbackTickets ??
        (await callbackTicketsToQueue({ config, bus, log, onClose: (fn: () => Promise<void>) => closers.unshift(fn) }));
      // Centre alerts (issue 17): into this process's outbox, or the shared one in Redis that the workflow role drains.
      let alertSink: AlertSink | undefined = workflow?.alerts.outbox;
      if (alertSink === undefined) {
        const shared = await createAlertSink({ redisUrl: config.redisUrl, log });
        closers.unshift(() => shared.close());
        alertSink = shared.sink;
        if (!config.redisUrl) log.warn('control without workflow and without REDIS_URL: centre alerts have nowhere to be delivered');
      }
      const c = createControl({
        alerts: alertSink,
        onAlert: metrics.centreAlertCounter(),
        clock,
        stateStore,
        clickhouse: ch,
        clickhouseCluster: config.clickhouseCluster,
        // The pipelines' real-time state: this process's own, or every worker's through the shared store.
        realtime: { snapshots: () => rt.view.snapshots(clock.now()) },
        engineHealth: { consumerLagMs: () => pipelines.health().consumerLagMs, insertLatencyMs: () => lastInsertMs },
        callbackTickets,
        instanceId: `${hostname()}:${process.pid}`,
        // Served: SLUICE_TENANTS, the tenants of API keys, the simulated ones (others are refused with a 422).
        tenants: knownTenants(config),
        serviceLevelMs: config.serviceLevelMs,
        // A tenant with its own service level (SLUICE_SERVICE_LEVEL_TENANTS) is judged against its own T.
        serviceLevelMsOf: (tenant) => serviceLevelOf(serviceLevels, tenant).thresholdMs,
        log,
        rateLimit: { routePerSec: config.routeRateLimit, apiPerSec: config.controlApiRateLimit, redisUrl: config.redisUrl },
        tuning: {
          maxPendingPerTenant: config.controlPendingPerTenant,
          outcomeTimeoutMs: config.controlOutcomeTimeoutMs,
          unknownSkillGroups: config.controlUnknownSkillGroups,
          scopes: { maxGroupsPerTenant: config.controlMaxSkillGroups, idleMs: config.controlScopeIdleMs },
          breakerQuorum: config.controlBreakerQuorum,
          trunks: { ttlMs: config.controlTrunkTtlMs, maxPerTenant: config.controlMaxTrunks },
          ...(config.decisionKey === undefined ? {} : { decisionKey: config.decisionKey }),
          ...opts.control,
        },
      });
      control = c;
      if (config.redisUrl && config.decisionKey === undefined)
        log.warn('SLUICE_DECISION_KEY unset: only this instance can take the outcomes of its decisions (others answer 404)');
      await c.start();
      closers.unshift(() => c.stop());
      metrics.observeControl(c);
      log.info({ tenants: config.tenants }, 'control loop running');
    }

    // The control loop's advice on non-critical work: from control here, else from the levels the fleet shares.
    let nonCritical: NonCriticalGate = control?.nonCritical ?? NEVER_SLOW;
    if (control === undefined && config.redisUrl) {
      const shared = new SharedNonCriticalGate({
        store: stateStore,
        clock,
        onError: (what, err) => log.debug({ err: (err as Error).message }, `non-critical advice: ${what} failed`),
      });
      shared.start();
      closers.unshift(() => shared.stop());
      nonCritical = shared;
    }

    let simulator: Sluice['simulator'];
    let demoControl: DemoControl | undefined;
    if (config.simulator) {
      // The capacity planners' traffic model (all four sources, consistent), played in real time.
      const start = clock.now();
      const seed = start % 2 ** 31;
      // The demo starts with a history (issue 20): the simulated centre opened at the start of the vendor's previous
      // report interval (or where an earlier run's stored minutes end), and what happened until now is played at
      // once, so the vendor's interval report is there and the interval, agent and reconciliation panels have data
      // from the first minute.
      const history = config.demo ? demoHistoryStart(start, await storedMinutesUntil(ch, config.simTenants)) : start;
      const model = new TrafficSimulation(
        buildScenario({
          seed,
          start: history,
          minutes: 7 * 24 * 60,
          tenants: config.simTenants,
          callsPerHour: config.simCallsPerHour,
          intervalSec: DEMO_INTERVAL_SEC,
          // The demo's surges, so queues build up and levels move (issue 20).
          ...(config.demo ? { peaks: demoPeaks(start), shiftStartMinute: demoShiftStart(history) } : {}),
        }),
      );
      const abort = new AbortController();
      let sent = 0;
      let historyPlayed = false;
      // The demo routes each offered call through control, as a proxy would, and reports its outcome (issue 20).
      if (config.demo && control) {
        const dc = startDemoControl({ service: control.service, clock, log, seed, cti: config.simCtiFailure });
        demoControl = dc;
        closers.unshift(async () => {
          dc.stop();
          log.info(dc.stats(), 'demo control traffic stopped');
        });
        log.info({ ctiTrouble: config.simCtiFailure }, 'demo: calls routed through control, with a scripted CTI trouble');
      }
      // On the in-process bus the simulator waits for the same admission as ingest: it never drops nor fails.
      const published = embedded
        ? { send: (events: TelemetryEvent[]) => embedded.publishWhenAdmitted(events, abort.signal) }
        : publisherSink(publisher);
      const sink = demoControl
        ? {
            send: async (events: TelemetryEvent[]) => {
              await published.send(events);
              // Only calls offered from now on are routed: the history's calls were decided before control started.
              demoControl?.observe(events[0]!.ts >= start ? events : events.filter((e) => e.ts >= start));
            },
          }
        : published;
      const playing = pace(model, sink, {
        clock,
        speed: 1,
        origin: start,
        batchSize: 200,
        signal: abort.signal,
        onBatch: (total, lastTs) => {
          // The history is played once the playback reaches its first event after the start.
          if (!historyPlayed && history < start && lastTs > start) {
            historyPlayed = true;
            log.info({ events: sent, ms: clock.now() - start }, 'demo: history played, real time from here');
          }
          sent = total;
        },
      }).catch((err: Error) => {
        if (!abort.signal.aborted) log.error({ err: err.message }, 'simulator stopped');
      });
      simulator = {
        sent: () => sent,
        async stop() {
          abort.abort();
          await playing;
        },
      };
      log.info(
        {
          tenants: config.simTenants,
          callsPerHour: config.simCallsPerHour,
          ...(config.demo ? { opensAt: new Date(history).toISOString() } : {}),
        },
        history < start
          ? 'simulator running (traffic model: its history played at once, then real time)'
          : 'simulator running (traffic model, real time)',
      );
      // Live tickets for the flow studio (issue 19): fee-reduction requests opened and decided now and then.
      if (workflow) {
        const wf = workflow;
        const stopTickets = startDemoTickets({
          engine: wf.engine,
          clock,
          tenants: config.tenants,
          log,
          // The short-SLA demo flow, only in `sluice demo` (issue 20).
          ...(config.demo
            ? { quickSla: { warningMs: config.simSlaWarningMs, deploy: (doc) => wf.catalog.deploy(doc, { tenant: String(doc.tenant) }) } }
            : {}),
        });
        closers.unshift(async () => stopTickets());
      }
    }

    // People sign in through OpenID providers: their bearer tokens are accepted beside API keys (nothing fetched until the first).
    const tokens = bearerTokens(config, clock);
    if (tokens)
      log.info(
        { providers: tokens.issuers.map((s) => ({ name: s.name, issuer: s.issuer, tenants: s.tenants })) },
        'OpenID bearer tokens accepted',
      );

    const app = await buildServer({
      config,
      ...(tokens ? { tokens } : {}),
      clock,
      metrics,
      realtime: rt.view,
      pipelines: { ...pipelines.routes, realtime: rt.view, serviceLevelOf: (tenant) => serviceLevelOf(serviceLevels, tenant) },
      ingest: servesIngest(config.role, config.kafkaBrokers !== null),
      ...(rt.levels ? { levels: rt.levels } : {}),
      checks,
      health: {
        optional: optionalChecks(config.role),
        checkTimeoutMs: config.healthCheckTimeoutMs,
        describe: () => ({ role: config.role, build: buildInfo(), config: configSummary(config) }),
      },
      workflow: workflow?.routes,
      control: control?.routes,
      role: config.role,
      slaReports: workflowReports?.routes,
      nonCritical,
      wallboard: { serviceLevelMs: config.serviceLevelMs },
      state: () => state,
      logger: opts.httpLogger === false ? false : undefined,
    });
    const url = await app.listen({ host: config.host, port: config.port });
    state = 'running';

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        state = 'stopping';
        // The whole stop counts against the timeout (wall time, as the admission that sized the backlog for it).
        const deadline = systemClock.now() + config.shutdownTimeoutMs;
        // A client may keep its request open: the HTTP server gets at most a quarter of the timeout.
        await closeServer(app, Math.min(5_000, config.shutdownTimeoutMs / 4));
        await simulator?.stop();
        // In-process bus: nothing survives the process, so everything accepted is stored before the worker stops.
        await pipelines.stop(deadline);
        for (const c of closers) await c().catch((err: Error) => log.warn({ err: err.message }, 'error while closing'));
        log.info({ published: publisher.published, handled: worker?.handled ?? 0 }, 'stopped');
      })());
    return { app, url, metrics, clickhouse: ch, worker, realtime: rt, control, simulator, demoControl, close };
  } catch (err) {
    for (const c of closers) await c().catch(() => {});
    throw err;
  }
}

/** The checker of bearer tokens of the configured OpenID providers (their keys by discovery), or undefined for none. */
function bearerTokens(config: Readonly<Config>, clock: Clock): BearerTokenVerifier | undefined {
  if (config.oidc.issuers.length === 0) return undefined;
  return new BearerTokenVerifier(
    config.oidc.issuers.map((settings) => ({ settings, keys: new RemoteIssuerKeys(settings.issuer, clock, config.oidc.keys) })),
    clock,
  );
}
