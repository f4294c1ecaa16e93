import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { ClickHouse } from '../adapters/clickhouse/connect.js';
import type { Clock } from '../adapters/clock.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { CallbackTickets } from '../core/messages.js';
import { callbackTicketsFor } from './callback.js';
import { parseFlowSource } from './definition/load.js';
import { WorkflowEngine } from './engine/engine.js';
import { FlowCatalog, MemoryFlowRepository, type FlowRepository } from './engine/flow-store.js';
import { MemoryTicketStore } from './engine/memory-ticket-store.js';
import type { TicketState } from './engine/ticket.js';
import type { TicketStore } from './engine/ticket-store.js';
import { isSluiceError } from '../core/errors.js';
import { ClickHouseHistory } from './history/clickhouse.js';
import { MemoryHistory } from './history/memory.js';
import type { HistoryStore } from './history/types.js';
import { observeWorkflow, recordHistory, type WorkflowObserver } from './metrics.js';
import { MemoryRoundRobinCounter } from './people/memory.js';
import { AssignmentKeeper } from './engine/keep-assigned.js';
import type { Directory } from './people/directory.js';
import { seedDemoDirectory } from './people/demo.js';
import { MemoryDirectory } from './people/memory-directory.js';
import { RedisDirectory } from './redis/directory.js';
import type { PeopleDirectory, RoundRobinCounter } from './people/ports.js';
import { connectWorkflowRedis, WorkflowKeys } from './redis/connection.js';
import { RedisFlowRepository, RedisRoundRobinCounter } from './redis/flow-repository.js';
import { RedisTicketStore } from './redis/ticket-store.js';
import type { SlaReportOptions } from './http/reports.js';
import type { WorkflowRoutesOptions } from './http/routes.js';
import type { AlertSink } from '../core/alerts.js';
import { outboxNotifier } from './alerts/bridge.js';
import { MemoryAlertOutbox } from './alerts/memory-outbox.js';
import type { AlertOutbox } from './alerts/outbox.js';
import { alertChannels, type AlertChannelSettings } from './alerts/setup.js';
import type { AlertChannel } from './alerts/types.js';
import { type DeliveryAttempt, DeliveryWorker, type DeliveryWorkerOptions } from './alerts/worker.js';
import type { AlertDeliveryRow } from './history/types.js';
import type { ContactDirectory } from './people/ports.js';
import { AlertOutboxKeys, RedisAlertOutbox } from './redis/alert-outbox.js';
import { TimerService, type TimerServiceOptions } from './sla/timer-service.js';
import type { TimerStore } from './sla/timer-store.js';

/** Options of {@link createWorkflow}. */
export interface CreateWorkflowOptions {
  readonly clock: Clock;
  /** `redis://…`: shared stores and timers across instances; null/absent: in-memory twins (one process). */
  readonly redisUrl?: string | null;
  /** Where SLA history goes for analytics; absent: kept in memory (bounded). */
  readonly clickhouse?: ClickHouse;
  /** Where the workflow logs (a pino logger fits); default silent. */
  readonly log?: Logger;
  /** Names this instance (insert tokens, logs). */
  readonly instanceId: string;
  /** Tenants that get the shipped flows (`workflow/flows/*.yaml`) on start (default `['default']`). */
  readonly tenants?: readonly string[];
  /**
   * Who assignment resolves people through (default: the people directory below). Tests pass a
   * plain `MemoryPeopleDirectory`; the directory API and SCIM still serve {@link Workflow.directory}.
   */
  readonly people?: PeopleDirectory;
  /** The people directory (default: on Redis when `redisUrl` is set, in memory otherwise). */
  readonly directory?: Directory;
  /** Seed the demo's billing department into each tenant whose directory is empty (`npm start`). */
  readonly demoDirectory?: boolean;
  /** Assignment keeper tuning: periodic sweep interval and per-run bound (default 60 s, 200 tickets). */
  readonly keeper?: { readonly intervalMs?: number; readonly maxTicketsPerRun?: number };
  /** The deployment's fallback: receives every alert that reaches nobody (no one resolved, no address, every channel failed); absent: the log. */
  readonly webhookUrl?: string;
  /** Alert delivery (channels, people's addresses, languages, the worker); see {@link WorkflowAlertOptions}. */
  readonly alerts?: WorkflowAlertOptions;
  /** Timer service tuning (poll interval, batch size, lease, retries). */
  readonly timers?: Omit<TimerServiceOptions, 'store' | 'notifier' | 'clock'>;
  /** Redis key prefix (default `sluice:wf:`). */
  readonly redisPrefix?: string;
  /** ClickHouse retention of history, days (default 90). */
  readonly historyTtlDays?: number;
  /** Told of every history batch stored in ClickHouse (e.g. the app's `metrics.observeInsert`). */
  readonly observeInsert?: (table: string, rows: number, seconds: number) => void;
}

/** How the workflow delivers alerts. */
export interface WorkflowAlertOptions {
  /** Channels configured for this deployment (the log is always there). */
  readonly channels?: AlertChannelSettings;
  /** Adapters given as they are (tests), added to and replacing those of `channels` by delivery channel. */
  readonly adapters?: readonly AlertChannel[];
  /** People and their addresses (default: the workflow's people directory). */
  readonly contacts?: ContactDirectory;
  /** Default language per tenant (a person's own language wins). */
  readonly tenantLanguages?: Readonly<Record<string, string>>;
  /** The deployment's default language (default `en`). */
  readonly defaultLanguage?: string;
  /** Run the delivery worker in this instance (default true). */
  readonly deliver?: boolean;
  /** Worker tuning (poll, batch, lease, attempts, backoff). */
  readonly worker?: Pick<DeliveryWorkerOptions, 'pollIntervalMs' | 'batchSize' | 'leaseMs' | 'maxAttempts' | 'retryBaseMs' | 'retryCapMs'>;
}

/** A wired workflow service. */
export interface Workflow {
  readonly engine: WorkflowEngine;
  /** The people directory (persons, groups, organisations): assignment and alert recipients read it. */
  readonly directory: Directory;
  /** Re-assigns when the directory changes and sweeps unassigned todos periodically. */
  readonly keeper: AssignmentKeeper;
  /** Open todos nobody holds in one tenant (for a gauge). */
  unassignedTodos(tenant: string): Promise<number>;
  readonly catalog: FlowCatalog;
  /** Options for `app.register(workflowRoutes, workflow.routes)`. */
  readonly routes: WorkflowRoutesOptions;
  /** The control room's `CallbackTickets` port. */
  readonly callbackTickets: CallbackTickets;
  readonly timerService: TimerService;
  readonly timerStore: TimerStore;
  readonly history: HistoryStore;
  /** The alert outbox (shared through Redis when configured), and the delivery worker when this instance runs it. */
  readonly alerts: { readonly outbox: AlertOutbox; readonly worker: DeliveryWorker | undefined };
  /** Hooks metrics to the instrumentation events; returns the unsubscribe function. */
  observe(observer: WorkflowObserver): () => void;
  /** Tickets per state of one tenant (for a gauge). */
  ticketCounts(tenant: string): Promise<Record<TicketState, number>>;
  /** True when Redis answers (readiness); always true without Redis. */
  ping(): Promise<boolean>;
  /** Deploys the shipped flows for the tenants (versions already there are kept) and starts the timers. */
  start(): Promise<void>;
  /** Stops the timers, flushes history, closes the Redis connection it opened. */
  stop(): Promise<void>;
}

const FLOWS_DIR = new URL('./flows/', import.meta.url);

/** The flow definitions shipped in `workflow/flows/` (YAML), parsed. */
export function shippedFlows(): Record<string, unknown>[] {
  return readdirSync(FLOWS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseFlowSource(readFileSync(new URL(f, FLOWS_DIR), 'utf8'), 'yaml') as Record<string, unknown>);
}

/**
 * The one wiring function of the workflow service: Redis stores and timers when `redisUrl`
 * is set (every instance shares them), the in-memory twins otherwise; ClickHouse history
 * when given; notification channels (log, and a webhook fallback when configured); the
 * engine, catalog, timer service and the control loop's callback port.
 *
 * @example
 * const workflow = await createWorkflow({ clock, redisUrl: config.redisUrl, clickhouse: ch, log, instanceId: hostname() });
 * await app.register(workflowRoutes, workflow.routes);
 * await workflow.start();
 */
export async function createWorkflow(options: CreateWorkflowOptions): Promise<Workflow> {
  const log = options.log ?? silentLogger;
  const { clock } = options;
  let redis: Redis | undefined;
  let tickets: TicketStore & { countByState(tenant: string): Promise<Record<TicketState, number>> };
  let directory: Directory;
  let timerStore: TimerStore;
  let repo: FlowRepository;
  let roundRobin: RoundRobinCounter;
  let outbox: AlertOutbox;
  if (options.redisUrl) {
    redis = await connectWorkflowRedis(options.redisUrl, {
      onStatus: (s, err) =>
        s === 'error' ? log.warn({ err: err?.message }, 'workflow Redis unreachable') : log.info({}, 'workflow Redis connected'),
    });
    const keys = new WorkflowKeys(options.redisPrefix);
    tickets = new RedisTicketStore(redis, { keys });
    timerStore = tickets.timers;
    repo = new RedisFlowRepository(redis, keys);
    roundRobin = new RedisRoundRobinCounter(redis, keys);
    outbox = new RedisAlertOutbox(redis, {
      keys: new AlertOutboxKeys(options.redisPrefix === undefined ? undefined : `${options.redisPrefix}alerts:`),
    });
    directory = options.directory ?? new RedisDirectory(redis, keys);
  } else {
    outbox = new MemoryAlertOutbox();
    directory = options.directory ?? new MemoryDirectory();
    tickets = new MemoryTicketStore();
    timerStore = tickets.timers;
    repo = new MemoryFlowRepository();
    roundRobin = new MemoryRoundRobinCounter();
  }
  let history: HistoryStore;
  try {
    history = options.clickhouse
      ? await ClickHouseHistory.open(options.clickhouse, { clock, instanceId: options.instanceId, ttlDays: options.historyTtlDays ?? 90 })
      : new MemoryHistory();
  } catch (err) {
    redis?.disconnect();
    throw err;
  }

  const catalog = new FlowCatalog(repo);
  const engine = new WorkflowEngine({
    tickets,
    flows: catalog,
    clock,
    roundRobin,
    people: options.people ?? directory,
  });
  const keeper = new AssignmentKeeper({ engine, directory, clock, tenants: options.tenants ?? ['default'], ...options.keeper });
  keeper.on('error', (err) => log.warn({ err: (err as Error).message }, 'assignment retry failed; the next sweep retries'));
  const timerService = new TimerService({ store: timerStore, notifier: outboxNotifier(outbox), clock, ...options.timers });
  recordHistory(engine, timerService, history);
  const worker =
    options.alerts?.deliver === false ? undefined : alertWorker(options, { outbox, engine, history, log, contacts: directory });
  timerService.on('error', (err) => log.warn({ err: (err as Error).message }, 'SLA timer loop error'));
  if (history instanceof ClickHouseHistory) {
    history.on('error', (err) => log.warn({ err: (err as Error).message }, 'SLA history insert failed; will retry'));
    history.on('dropped', (d) => log.warn(d, 'SLA history queue full: oldest rows dropped'));
    const observe = options.observeInsert;
    if (observe) history.on('inserted', (i) => observe(i.table, i.rows, i.seconds));
  }

  const deploy = async (): Promise<void> => {
    for (const tenant of options.tenants ?? ['default']) {
      for (const doc of shippedFlows()) {
        try {
          const flow = await catalog.deploy({ ...doc, tenant }, { tenant });
          log.info({ tenant, flow: flow.id, version: flow.version }, 'workflow flow deployed');
        } catch (err) {
          if (!isSluiceError(err, 'SLUICE_ERR_FLOW_VERSION_EXISTS')) throw err;
        }
      }
    }
  };

  let stopped: Promise<void> | undefined;
  return {
    engine,
    directory,
    keeper,
    unassignedTodos: (tenant) => tickets.unassignedTodos(tenant),
    catalog,
    routes: { engine, catalog, clock, timers: timerStore, history, directory },
    callbackTickets: callbackTicketsFor(engine),
    timerService,
    timerStore,
    history,
    alerts: { outbox, worker },
    observe: (observer) => observeWorkflow(engine, timerService, observer),
    ticketCounts: (tenant) => tickets.countByState(tenant),
    ping: async () =>
      redis
        ? redis.ping().then(
            () => true,
            () => false,
          )
        : true,
    async start() {
      await deploy();
      if (options.demoDirectory)
        for (const tenant of options.tenants ?? ['default'])
          if (await seedDemoDirectory(directory, tenant)) log.info({ tenant }, 'demo people directory seeded');
      keeper.start();
      timerService.start();
      worker?.start();
      log.info({ instance: options.instanceId, store: redis ? 'redis' : 'memory' }, 'workflow timers running');
    },
    stop: () =>
      (stopped ??= (async () => {
        await keeper.stop();
        await timerService.stop();
        await worker?.stop();
        await history.close();
        await redis?.quit().catch(() => redis?.disconnect());
      })()),
  };
}

/** The row of one delivery attempt in the `alert_deliveries` history. Pure. */
export function alertDeliveryRow(a: DeliveryAttempt): AlertDeliveryRow {
  return {
    tenant: a.tenant,
    alertId: a.alertId,
    alertKind: a.alertKind,
    ticketId: a.ticketId ?? '',
    deliveryId: a.deliveryId,
    recipient: a.recipient,
    channel: a.channel,
    attempt: a.attempt,
    result: a.result,
    error: a.error ?? '',
    providerId: a.providerId ?? '',
    inDoubt: a.inDoubt,
    ts: a.at,
  };
}

/**
 * The delivery worker of a workflow instance: the configured channels (and the fallback webhook), recipients
 * resolved in the ticket's context, and every attempt recorded in the `alert_deliveries` history and, for a ticket
 * alert, in the ticket's own history.
 */
function alertWorker(
  options: CreateWorkflowOptions,
  deps: {
    readonly outbox: AlertOutbox;
    readonly engine: WorkflowEngine;
    readonly history: HistoryStore;
    readonly log: Logger;
    /** The people directory: persons with their addresses, languages and preferred channels. */
    readonly contacts: ContactDirectory;
  },
): DeliveryWorker {
  const a = options.alerts ?? {};
  const settings: AlertChannelSettings = { ...a.channels, ...(options.webhookUrl !== undefined && { webhook: a.channels?.webhook ?? {} }) };
  const byChannel = new Map(alertChannels(settings, { clock: options.clock, log: deps.log }).map((c) => [c.channel, c]));
  for (const c of a.adapters ?? []) byChannel.set(c.channel, c);
  const { engine, history, log } = deps;
  const worker = new DeliveryWorker({
    outbox: deps.outbox,
    clock: options.clock,
    channels: [...byChannel.values()],
    contacts: a.contacts ?? deps.contacts,
    context: async (tenant, ticketId) => {
      const ticket = await engine.get(tenant, ticketId).catch(() => undefined);
      if (!ticket) return undefined;
      const creator = ticket.history[0]?.actor;
      return { ...(creator !== undefined && { creator }), fields: ticket.fields };
    },
    ...(a.tenantLanguages && { tenantLanguages: a.tenantLanguages }),
    ...(a.defaultLanguage !== undefined && { defaultLanguage: a.defaultLanguage }),
    ...(options.webhookUrl !== undefined && { fallbackWebhook: options.webhookUrl }),
    ...a.worker,
  });
  worker.on('attempt', (attempt) => {
    history.recordAlertDeliveries([alertDeliveryRow(attempt)]);
    if (attempt.ticketId === undefined) return;
    const { tenant, ticketId, result, ...rest } = attempt;
    const detail = {
      alertId: rest.alertId,
      deliveryId: rest.deliveryId,
      recipient: rest.recipient,
      channel: rest.channel,
      attempt: rest.attempt,
      ...(rest.error !== undefined && { error: rest.error }),
      ...(rest.providerId !== undefined && { providerId: rest.providerId }),
      ...(rest.inDoubt && { inDoubt: true }),
    };
    engine.recordAlert(tenant, ticketId, result, detail).catch((err: unknown) => {
      log.warn({ err: (err as Error).message, tenant, ticketId }, 'alert attempt not recorded in the ticket history');
    });
  });
  worker.on('error', (err) => log.warn({ err: (err as Error).message }, 'alert delivery loop error'));
  return worker;
}

/**
 * Where a process that raises alerts but runs no workflow (the `control` role) puts them: the shared outbox in
 * Redis, or an in-memory one (nothing would deliver it: `sluice start --role control` needs `REDIS_URL` for alerts).
 */
export async function createAlertSink(options: {
  readonly redisUrl?: string | null;
  readonly redisPrefix?: string;
  readonly log?: Logger;
}): Promise<{ readonly sink: AlertSink; close(): Promise<void> }> {
  if (!options.redisUrl) return { sink: new MemoryAlertOutbox(), close: async () => {} };
  const log = options.log ?? silentLogger;
  const redis = await connectWorkflowRedis(options.redisUrl, {
    onStatus: (s, err) => (s === 'error' ? log.warn({ err: err?.message }, 'alert outbox Redis unreachable') : undefined),
  });
  const keys = new AlertOutboxKeys(options.redisPrefix === undefined ? undefined : `${options.redisPrefix}alerts:`);
  return {
    sink: new RedisAlertOutbox(redis, { keys }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The workflow's reports for a process that serves reports without running the workflow (the `reporting` role). */
export interface WorkflowReports {
  /** Options for `app.register(slaReportRoutes, reports.routes)`. */
  readonly routes: SlaReportOptions;
  /** Releases the history reader (not the ClickHouse connection). */
  stop(): Promise<void>;
}

/**
 * Reads the SLA history the workflow instances write to ClickHouse, for `GET /v1/reports/sla`: no
 * engine, no timers, no Redis. The history's tables are created if missing, so the reporting role may
 * start before any workflow instance has.
 *
 * @example const reports = await createWorkflowReports({ clickhouse: ch, clock, instanceId: hostname() });
 */
export async function createWorkflowReports(options: {
  readonly clickhouse: ClickHouse;
  readonly clock: Clock;
  /** Names this instance (the history's insert tokens; it inserts nothing). */
  readonly instanceId: string;
  /** ClickHouse retention of history, days (default 90), as the workflow instances set it. */
  readonly historyTtlDays?: number;
}): Promise<WorkflowReports> {
  const history = await ClickHouseHistory.open(options.clickhouse, {
    clock: options.clock,
    instanceId: options.instanceId,
    ttlDays: options.historyTtlDays ?? 90,
  });
  return { routes: { history }, stop: () => history.close() };
}
