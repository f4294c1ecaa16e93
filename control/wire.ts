/**
 * One function that builds a control instance for the composition root:
 * the service, the options of its fastify plugin, and start/stop. The decision
 * log goes to ClickHouse when a connection is given (its migrations run in
 * `start()`), to memory otherwise; callback tickets go to the given port or to
 * an in-memory one.
 *
 * @example
 * const control = createControl({ clock, stateStore, clickhouse: ch, realtime, engineHealth, instanceId: hostname() });
 * await app.register(controlRoutes, control.routes);
 * await control.start();
 */
import type { Clock } from '../adapters/clock.js';
import type { ClickHouse } from '../adapters/clickhouse/connect.js';
import { createRedis, whenReady } from '../adapters/redis/connect.js';
import type { StateStore } from '../adapters/state/types.js';
import { DEFAULT_RATE_LIMITS } from './http/rate-limit.js';
import { BufferedDecisionLog } from './log/buffered.js';
import { ClickHouseLogWriter } from './log/clickhouse.js';
import { MemoryLogWriter } from './log/memory.js';
import type { ControlLogRecord, LogWriter } from './log/types.js';
import type { ControlRoutesOptions } from './http/routes.js';
import { DEPENDENCY_BREAKERS } from './runtime/breakers.js';
import type { CtiNodes } from './runtime/tenants.js';
import { ControlService } from './service.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { ControlServiceOptions } from './service-types.js';
import type { EngineHealth } from './signals/engine.js';
import type { RealtimeView } from './signals/snapshot.js';
import type { CallbackTickets } from '../core/messages.js';
import type { NonCriticalGate } from '../core/non-critical.js';
import { localNonCriticalGate } from './non-critical-gate.js';
import type { AlertSink } from '../core/alerts.js';
import { CentreAlertRunner } from './alerts/runner.js';

/** Options of {@link createControl}. */
export interface CreateControlOptions {
  readonly clock: Clock;
  readonly stateStore: StateStore;
  /** Decision log target; without it the log is kept in memory (bounded). */
  readonly clickhouse?: ClickHouse;
  /** ON CLUSTER name for the control migrations. */
  readonly clickhouseCluster?: string;
  /** Retention of the decision log, days (default 30). */
  readonly decisionLogTtlDays?: number;
  readonly realtime: RealtimeView;
  readonly engineHealth: EngineHealth;
  readonly callbackTickets?: CallbackTickets;
  readonly instanceId: string;
  readonly log?: Logger;
  /** The deployment's CTI nodes (default `cti-primary`, `cti-backup`); a tenant's policy may name its own. */
  readonly ctiNodes?: CtiNodes;
  /**
   * Service-level wait target, ms (`SLUICE_SERVICE_LEVEL_MS`): the control loop's wait ramps follow it
   * (see `ControlServiceOptions.serviceLevelMs`); `tuning.serviceLevelMs` or `tuning.pressure` overrides it.
   */
  readonly serviceLevelMs?: number;
  /** A tenant's own service-level threshold, ms (`SLUICE_SERVICE_LEVEL_TENANTS`); see `ControlServiceOptions.serviceLevelMsOf`. */
  readonly serviceLevelMsOf?: (tenant: string) => number;
  /** Tenants known from configuration (e.g. the tenants of the API keys). */
  readonly tenants?: readonly string[];
  /**
   * Per-key rate limits of the control routes (default: `DEFAULT_RATE_LIMITS`, in memory);
   * with `redisUrl` the counters are shared by every instance. False turns them off.
   */
  readonly rateLimit?:
    | {
        readonly routePerSec?: number;
        readonly apiPerSec?: number;
        readonly windowMs?: number;
        readonly redisUrl?: string | null;
        readonly prefix?: string;
      }
    | false;
  /**
   * Where centre alerts go (the shared alert outbox); absent: the tenants' `alerts` rules are not evaluated here.
   * Every control instance evaluates them; the outbox keeps one alert per subject and cooldown.
   */
  readonly alerts?: AlertSink;
  /** Told of every centre alert raised (`stored` false: a duplicate another instance stored first). */
  readonly onAlert?: (kind: string, stored: boolean) => void;
  /** Anything else of {@link ControlServiceOptions} (tick, lease, level and breaker configs, …). */
  readonly tuning?: Omit<Partial<ControlServiceOptions>, 'clock' | 'stateStore' | 'realtime' | 'instanceId'>;
}

/** A built control instance. */
export interface Control {
  readonly service: ControlService;
  /** Options for `app.register(controlRoutes, control.routes)`. */
  readonly routes: ControlRoutesOptions;
  /** Whether a tenant's non-critical work is slowed now, from this instance's levels and policies. */
  readonly nonCritical: NonCriticalGate;
  /** Migrates the decision log's tables (with ClickHouse), then starts ticking. */
  start(): Promise<void>;
  /** Stops ticking, gives up leadership, flushes the decision log. */
  stop(): Promise<void>;
}

/** A writer that waits for the ClickHouse migrations before its first insert. */
class DeferredWriter implements LogWriter {
  #ready: Promise<LogWriter> | undefined;

  open(ready: Promise<LogWriter>): Promise<LogWriter> {
    this.#ready = ready;
    return ready;
  }

  async write(batch: readonly ControlLogRecord[], token: string): Promise<void> {
    if (this.#ready === undefined) throw new Error('decision log writer not started');
    await (await this.#ready).write(batch, token);
  }
}

/** See the module comment. */
export function createControl(o: CreateControlOptions): Control {
  const log: Logger = o.log ?? silentLogger;
  const deferred = new DeferredWriter();
  const writer: LogWriter = o.clickhouse === undefined ? new MemoryLogWriter(50_000) : deferred;
  let service: ControlService | undefined;
  const decisionLog = new BufferedDecisionLog({
    writer,
    clock: o.clock,
    tokenPrefix: `control:${o.instanceId}:${o.clock.now().toString(36)}`,
    guard: () => service?.breaker(DEPENDENCY_BREAKERS.clickhouseSink),
    onError: (err) => log.warn({ err: (err as Error)?.message }, 'control: decision log write failed'),
  });
  service = new ControlService({
    ...(o.serviceLevelMs === undefined ? {} : { serviceLevelMs: o.serviceLevelMs }),
    ...(o.serviceLevelMsOf === undefined ? {} : { serviceLevelMsOf: o.serviceLevelMsOf }),
    ...o.tuning,
    clock: o.clock,
    instanceId: o.instanceId,
    realtime: o.realtime,
    stateStore: o.stateStore,
    decisionLog,
    engineHealth: o.engineHealth,
    log,
    ...(o.callbackTickets ? { callbackTickets: o.callbackTickets } : {}),
    ...(o.ctiNodes ? { ctiNodes: o.ctiNodes } : {}),
    ...(o.tenants ? { tenants: o.tenants } : {}),
  });
  const svc = service;
  const rl = o.rateLimit;
  // Its own connection: commands fail fast while Redis is away (the limiter then counts locally).
  const redis =
    rl === false || !rl?.redisUrl
      ? undefined
      : createRedis(rl.redisUrl, {
          commandTimeoutMs: 250,
          onStatus: (s, err) => {
            if (s === 'error') log.warn({ err: err?.message }, 'control: rate-limit store unreachable; limiting per instance');
          },
        });
  const rateLimit =
    rl === false
      ? false
      : {
          routePerSec: rl?.routePerSec ?? DEFAULT_RATE_LIMITS.routePerSec,
          apiPerSec: rl?.apiPerSec ?? DEFAULT_RATE_LIMITS.apiPerSec,
          ...(rl?.windowMs === undefined ? {} : { windowMs: rl.windowMs }),
          ...(rl?.prefix === undefined ? {} : { prefix: rl.prefix }),
          ...(redis === undefined ? {} : { redis }),
        };
  const alerts =
    o.alerts === undefined
      ? undefined
      : new CentreAlertRunner({
          service: svc,
          realtime: o.realtime,
          sink: o.alerts,
          clock: o.clock,
          log,
          ...(o.onAlert && { onRaised: o.onAlert }),
        });
  return {
    service: svc,
    routes: { service: svc, clock: o.clock, rateLimit },
    nonCritical: localNonCriticalGate(svc, o.clock, o.tuning?.tickMs ?? 1_000),
    async start() {
      if (o.clickhouse !== undefined) {
        await deferred.open(
          ClickHouseLogWriter.open(o.clickhouse, {
            ttlDays: o.decisionLogTtlDays ?? 30,
            ...(o.clickhouseCluster ? { cluster: o.clickhouseCluster } : {}),
          }),
        );
      }
      // Give the limiter's connection a moment; until it is up each instance counts on its own.
      if (redis !== undefined) await whenReady(redis, 2_000, o.clock);
      await svc.start();
      alerts?.start();
    },
    async stop() {
      await alerts?.stop();
      await svc.stop();
      redis?.disconnect();
    },
  };
}
