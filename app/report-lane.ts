/**
 * The slowed lane of the report routes. While the control loop slows a tenant's non-critical work
 * (`core/non-critical.ts`: its level's policy says `slowNonCritical`, L1+ by default), that tenant's report
 * queries run one at a time in this process (`concurrency`), the next ones wait in order behind it, at most
 * `maxQueued` of them and each at most `maxWaitMs`; beyond either bound a report is refused with 503
 * `SLUICE_ERR_REPORTS_SLOWED` and `Retry-After`, so memory and ClickHouse load stay bounded. A tenant that is not
 * slowed never enters the lane; one tenant's lane never holds up another's. What a supervisor sees: a report
 * comes, later, while the floor is in trouble; too many at once are told to come back.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock, TimerHandle } from '../adapters/clock.js';
import { PLATFORM_TENANT } from '../core/access.js';
import type {} from '../core/http.js';
import type { NonCriticalGate } from '../core/non-critical.js';
import { appError } from './errors.js';

/** Options of {@link SlowReportLane}. Durations in ms. */
export interface SlowReportLaneOptions {
  readonly clock: Clock;
  /** Reports of one slowed tenant running at once in this process (default 1). */
  readonly concurrency?: number;
  /** Reports of one slowed tenant waiting at most (default 4); the next is refused. */
  readonly maxQueued?: number;
  /** Longest a report waits for its turn (default 30 000); then it is refused. */
  readonly maxWaitMs?: number;
  /** Seconds a refused client is told to wait (`Retry-After`, default 10). */
  readonly retryAfterSec?: number;
}

interface Waiter {
  readonly resolve: (release: () => void) => void;
  readonly reject: (err: Error) => void;
  timer: TimerHandle | undefined;
}

interface Lane {
  running: number;
  readonly waiting: Waiter[];
}

/** How a report got its turn: at once, or after waiting (for the metrics). */
export type LaneOutcome = 'ran' | 'queued';

/** See the module comment. */
export class SlowReportLane {
  readonly #clock: Clock;
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #maxWaitMs: number;
  /** `Retry-After` of a refusal, seconds. */
  readonly retryAfterSec: number;
  /** Only tenants with a report running or waiting have a lane: bounded by the reports in flight. */
  readonly #lanes = new Map<string, Lane>();

  constructor(options: SlowReportLaneOptions) {
    this.#clock = options.clock;
    this.#concurrency = positive('concurrency', options.concurrency ?? 1);
    this.#maxQueued = positive('maxQueued', options.maxQueued ?? 4, 0);
    this.#maxWaitMs = positive('maxWaitMs', options.maxWaitMs ?? 30_000);
    this.retryAfterSec = positive('retryAfterSec', options.retryAfterSec ?? 10);
  }

  /**
   * Waits for the tenant's turn.
   * @returns a function to call once the report is answered (idempotent), and whether it had to wait
   * @throws SluiceError `SLUICE_ERR_REPORTS_SLOWED` (503) when `maxQueued` reports already wait, or after `maxWaitMs`
   */
  async acquire(tenant: string): Promise<{ release: () => void; outcome: LaneOutcome }> {
    let lane = this.#lanes.get(tenant);
    if (lane === undefined) {
      lane = { running: 0, waiting: [] };
      this.#lanes.set(tenant, lane);
    }
    if (lane.running < this.#concurrency && lane.waiting.length === 0) {
      lane.running += 1;
      return { release: this.#releaser(tenant, lane), outcome: 'ran' };
    }
    if (lane.waiting.length >= this.#maxQueued) throw this.#refusal(tenant, `${this.#maxQueued} reports already wait`);
    const l = lane;
    const release = await new Promise<() => void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      w.timer = this.#clock.setTimeout(() => {
        const i = l.waiting.indexOf(w);
        if (i >= 0) l.waiting.splice(i, 1);
        this.#forget(tenant, l);
        reject(this.#refusal(tenant, `no turn within ${this.#maxWaitMs} ms`));
      }, this.#maxWaitMs);
      l.waiting.push(w);
    });
    return { release, outcome: 'queued' };
  }

  /** Reports running and waiting, per tenant with any (for tests and gauges). */
  load(): Record<string, { running: number; waiting: number }> {
    return Object.fromEntries([...this.#lanes].map(([t, l]) => [t, { running: l.running, waiting: l.waiting.length }]));
  }

  #releaser(tenant: string, lane: Lane): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      lane.running -= 1;
      const next = lane.waiting.shift();
      if (next !== undefined) {
        if (next.timer !== undefined) this.#clock.clearTimeout(next.timer);
        lane.running += 1;
        next.resolve(this.#releaser(tenant, lane));
      }
      this.#forget(tenant, lane);
    };
  }

  #forget(tenant: string, lane: Lane): void {
    if (lane.running === 0 && lane.waiting.length === 0 && this.#lanes.get(tenant) === lane) this.#lanes.delete(tenant);
  }

  #refusal(tenant: string, why: string): Error {
    return appError('SLUICE_ERR_REPORTS_SLOWED', [tenant, why], { details: { retryAfterSeconds: this.retryAfterSec } });
  }
}

function positive(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw appError('SLUICE_ERR_CONFIG', [`report lane ${name} must be an integer ≥ ${min} (got ${v})`]);
  return v;
}

/** What {@link slowReports} needs. */
export interface SlowReportsOptions {
  readonly gate: NonCriticalGate;
  readonly lane: SlowReportLane;
  /** Told of each report that waited in the lane, and each refused. */
  readonly onSlowed?: (work: 'report_queued' | 'report_refused', tenant: string) => void;
}

const releases = new WeakMap<FastifyRequest, () => void>();

/**
 * Puts every `/v1/reports/*` route of `app` (its root: call before the report routes' plugins are registered)
 * behind the lane for tenants the gate slows. The tenant is the key's, or the one a platform key names; a
 * platform key that names none is left to the route, which refuses it.
 */
export function slowReports(app: FastifyInstance, o: SlowReportsOptions): void {
  app.addHook('preHandler', async (req, reply) => {
    if (!req.routeOptions.url?.startsWith('/v1/reports/')) return;
    const principal = req.principal;
    const asked = (req.query as { tenant?: unknown } | undefined)?.tenant;
    const tenant = principal.tenant === PLATFORM_TENANT ? (typeof asked === 'string' ? asked : undefined) : principal.tenant;
    if (tenant === undefined || !o.gate.slow(tenant)) return;
    try {
      const { release, outcome } = await o.lane.acquire(tenant);
      releases.set(req, release);
      if (outcome === 'queued') o.onSlowed?.('report_queued', tenant);
    } catch (err) {
      o.onSlowed?.('report_refused', tenant);
      void reply.header('retry-after', String(o.lane.retryAfterSec));
      throw err;
    }
  });
  const done = async (req: FastifyRequest) => {
    releases.get(req)?.();
    releases.delete(req);
  };
  app.addHook('onResponse', done);
  app.addHook('onRequestAbort', done);
}
