/**
 * A running Sluice for a scenario: the real composition (`startSluice`: ingest, bus, pipeline
 * worker, chDB, control loop, workflow) on a manual clock, fed through its own HTTP API in
 * process (`app.inject`): telemetry to `POST /v1/events`, each offered call to `POST /v1/route`
 * and its outcome back, the state read from `GET /v1/control/state`. Time moves one control
 * tick at a time, so a minute of scenario costs what the work costs, not a minute.
 */
import { pino } from 'pino';
import { ManualClock } from '../../adapters/clock.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import type { ControlStateView, RouteAnswer } from '../../control/service-types.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import type { CreateControlOptions } from '../../control/wire.js';
import { MemoryTelemetryStore } from '../../pipelines/store/memory.js';
import type { TelemetryStore } from '../../pipelines/store/types.js';
import { callOutcome, callPriority, slowStore, type SlowStore } from './faults.js';

/** Where the rig's services are: embedded twins unless a URL is given. */
export interface RigServices {
  readonly redisUrl?: string;
  readonly kafkaBrokers?: string;
}

/** Options of {@link startRig}. */
export interface RigOptions extends RigServices {
  /** Start of scenario time, epoch ms. */
  readonly start: number;
  readonly tenants: readonly string[];
  readonly control?: CreateControlOptions['tuning'];
  /** Keep telemetry in the in-memory twin of the store instead of chDB (chDB still starts, for the rest). */
  readonly memoryStore?: boolean;
  /** Partitions per source topic (default 1: every batch is one insert per table, as in a small center). */
  readonly partitions?: number;
  /** Distinguishes topics, groups and databases of runs sharing a broker or server. */
  readonly runId: string;
}

/** What one second of routing did. */
export interface RouteStats {
  readonly targets: Record<string, number>;
  /** Wall time of each route request, µs. */
  readonly latenciesUs: number[];
}

/** The primary CTI node of the default configuration. */
export const PRIMARY_CTI = 'cti-primary';

/** The in-memory store, closing `inner` with it. */
function memoryTwin(inner: TelemetryStore): TelemetryStore {
  const mem = new MemoryTelemetryStore();
  const close = mem.close.bind(mem);
  mem.close = async () => {
    await close();
    await inner.close();
  };
  return mem;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A Sluice under a scenario's control. */
export class Rig {
  accepted = 0;
  rejected = 0;
  calls = 0;
  /** While set, every call to the primary CTI node fails after this many ms. */
  primaryFailAfterMs: number | undefined;
  /** Event time of each accepted event, in the order accepted (for the lag the rig measures). */
  readonly #acceptedTs: number[] = [];
  #lastTickAt = Number.NEGATIVE_INFINITY;

  private constructor(
    readonly clock: ManualClock,
    readonly sluice: Sluice,
    readonly slow: SlowStore,
  ) {
    sluice.control?.service.on('tick', (e) => {
      this.#lastTickAt = Math.max(this.#lastTickAt, e.at);
    });
  }

  /** Starts Sluice on a manual clock at `o.start`. */
  static async start(o: RigOptions): Promise<Rig> {
    const clock = new ManualClock(o.start);
    const config = loadConfig(
      {},
      {
        SLUICE_OPEN: 'true',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        CHDB_PATH: ':memory:',
        CLICKHOUSE_DATABASE: `bench_${o.runId}`,
        SLUICE_TENANTS: o.tenants.join(','),
        // Calls may come before the control loop has seen their group's first event: tenant level.
        SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: 'tenant-level',
        KAFKA_TOPIC_PREFIX: `bench-${o.runId}`,
        KAFKA_GROUP_ID: `bench-${o.runId}`,
        KAFKA_PARTITIONS: String(o.partitions ?? 1),
        // The rig plays hours of traffic in seconds through one open key, reading the state every tick: the
        // per-key rate limits (per second of the manual clock) would measure the rig, not the contact center.
        SLUICE_ROUTE_RATE_LIMIT: '1000000',
        SLUICE_CONTROL_API_RATE_LIMIT: '1000000',
        ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
        ...(o.kafkaBrokers ? { KAFKA_BROKERS: o.kafkaBrokers } : {}),
      },
    );
    let slow: SlowStore | undefined;
    const sluice = await startSluice(config, {
      clock,
      logger: pino({ level: 'silent' }),
      httpLogger: false,
      wrapStore: (inner) => (slow = slowStore(o.memoryStore ? memoryTwin(inner) : inner, clock)).store,
      ...(o.control ? { control: o.control } : {}),
    });
    return new Rig(clock, sluice, slow!);
  }

  /** Sends events to `POST /v1/events` (≤ 5000 per request); counts accepted and rejected. */
  async ingest(events: readonly TelemetryEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 5_000) {
      const res = await this.sluice.app.inject({ method: 'POST', url: '/v1/events', payload: { events: events.slice(i, i + 5_000) } });
      if (res.statusCode !== 202) throw new Error(`POST /v1/events answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      const body = res.json() as { accepted: number; rejected: { index: number }[] };
      this.accepted += body.accepted;
      this.rejected += body.rejected.length;
      const refused = new Set(body.rejected.map((r) => r.index));
      events.slice(i, i + 5_000).forEach((e, k) => {
        if (!refused.has(k)) this.#acceptedTs.push(e.ts);
      });
    }
  }

  /** Routes each call and reports its outcome as the CTI/IVR would. */
  async route(calls: readonly { tenant: string; callId: string; skillGroup: string }[]): Promise<RouteStats> {
    const targets: Record<string, number> = {};
    const latenciesUs: number[] = [];
    for (const c of calls) {
      const t0 = performance.now();
      const res = await this.sluice.app.inject({ method: 'POST', url: '/v1/route', payload: { ...c, priority: callPriority(c.callId) } });
      latenciesUs.push(Math.round((performance.now() - t0) * 1000));
      this.calls++;
      if (res.statusCode !== 200) {
        targets.error = (targets.error ?? 0) + 1;
        continue;
      }
      const a = res.json() as RouteAnswer;
      const key = a.target === 'agent' ? `agent:${a.ctiNode ?? '?'}` : a.target;
      targets[key] = (targets[key] ?? 0) + 1;
      const outcome = callOutcome(a.ctiNode, this.primaryFailAfterMs, PRIMARY_CTI, this.calls);
      await this.sluice.app.inject({ method: 'POST', url: `/v1/route/${encodeURIComponent(a.decisionId)}/outcome`, payload: outcome });
    }
    return { targets, latenciesUs };
  }

  /**
   * Waits (wall time) until the worker has handled every accepted event, or until it is stuck
   * on writes that wait for scenario time, or `budgetMs` passed.
   */
  async drain(budgetMs = 5_000): Promise<void> {
    const worker = this.sluice.worker;
    if (!worker) return;
    const t0 = performance.now();
    let last = worker.handled;
    let changed = t0;
    while (worker.handled < this.accepted && performance.now() - t0 < budgetMs) {
      await sleep(1);
      const now = performance.now();
      if (worker.handled !== last) [last, changed] = [worker.handled, now];
      else if (this.slow.waiting > 0 && now - changed > 20) return;
    }
  }

  /**
   * Moves scenario time on by `ms`; the control loop ticks on the way. Then waits (wall time,
   * at most `budgetMs`) for the last tick to finish, so its store round trips are not cut
   * short by the next step's timers.
   */
  async advance(ms: number, budgetMs = 1_000): Promise<void> {
    // One second at a time: a tick still running when the next falls due would absorb it.
    for (let left = ms; left > 0; left -= 1_000) {
      this.clock.advance(Math.min(1_000, left));
      const due = this.clock.now() - 999;
      const t0 = performance.now();
      for (let i = 0; i < 8; i++) await new Promise<void>((r) => setImmediate(r));
      while (this.sluice.control && this.#lastTickAt < due && performance.now() - t0 < budgetMs) await sleep(1);
    }
  }

  /**
   * Consumer lag as the rig sees it: scenario time minus the event time of the oldest accepted
   * event not yet handled (events are taken in the order accepted), ms; and the count.
   */
  lag(): { ms: number; messages: number } {
    const handled = this.sluice.worker?.handled ?? 0;
    const oldest = this.#acceptedTs[handled];
    return {
      ms: oldest === undefined ? 0 : Math.max(0, this.clock.now() - oldest),
      messages: Math.max(0, this.#acceptedTs.length - handled),
    };
  }

  /** `GET /v1/control/state`. */
  async state(): Promise<ControlStateView> {
    const res = await this.sluice.app.inject({ method: 'GET', url: '/v1/control/state' });
    if (res.statusCode !== 200) throw new Error(`GET /v1/control/state answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    return res.json() as ControlStateView;
  }

  /** Raw events stored and OFFERED counted in minute rows, summed over `tenants`. */
  async stored(tenants: readonly string[], from: number, to: number): Promise<{ events: number; offered: number }> {
    let events = 0;
    let offered = 0;
    for (const tenant of tenants) {
      events += await this.slow.store.countEvents(tenant);
      for (const row of await this.slow.store.minutes({ tenant, from, to })) offered += row.offered;
    }
    return { events, offered };
  }

  /** Stops Sluice (stores what is pending first). */
  close(): Promise<void> {
    return this.sluice.close();
  }
}
