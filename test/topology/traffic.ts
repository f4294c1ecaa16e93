/**
 * Drives a topology with the traffic model: the four sources' events (in agreement, from
 * `TrafficSimulation`) to `POST /v1/events` through the ingest pool, every call the model offers to
 * `POST /v1/route` through the control pool, and its outcome to the OTHER control instance than the one
 * that decided (as a CTI whose outcome report lands on another instance behind the balancer), SLA-flow
 * tickets to the workflow pool during the peak. Event time runs `speed` times faster than wall time and
 * ends before now, so every event is accepted; the peak (3× by default) falls in the middle of the run.
 */
import { systemClock } from '../../adapters/clock.js';
import { callPriority } from '../../bench/scenarios/faults.js';
import type { SkillGroupEvent, TelemetryEvent } from '../../pipelines/events/types.js';
import { TrafficSimulation } from '../../simulator/model.js';
import { pace } from '../../simulator/pacer.js';
import { buildScenario } from '../../simulator/scenario.js';
import type { TrafficSummary } from '../../simulator/summary.js';
import type { Pool } from './balancer.js';
import { KEYS, TENANTS, type Tenant, type Topology } from './harness.js';

const MINUTE = 60_000;

/** Options of {@link drive}. */
export interface DriveOptions {
  readonly seed: number;
  /** Event time the run spans, minutes. */
  readonly minutes: number;
  /** Calls per hour per tenant outside the peak. */
  readonly callsPerHour: number;
  /** Event time per wall time. */
  readonly speed: number;
  /** The peak: from/length in minutes of event time after the start, multiplier (default 3), ramps (default 1 min). */
  readonly peak: { readonly fromMinute: number; readonly minutes: number; readonly multiplier?: number; readonly rampMinutes?: number };
  /** Skill group pinned at L3 (every tenant) for the peak's plateau: its diverted callers get callback tickets. */
  readonly pinDuringPeak?: string;
  /** Tickets of `slaFlowId` created per tenant, evenly over the plateau. */
  readonly slaTickets?: { readonly flowId: string; readonly perTenant: number; readonly idPrefix: string };
  /** Told the wall time when the plateau starts and ends. */
  readonly onPeak?: (phase: 'start' | 'end') => void;
  /** Routes in flight at most (default 16). */
  readonly routeConcurrency?: number;
  readonly log?: (line: string) => void;
}

/** One routing decision as the test saw it. */
export interface Decision {
  readonly tenant: Tenant;
  readonly callId: string;
  readonly skillGroup: string;
  readonly decisionId: string;
  readonly target: string;
  readonly level: number;
  /** The instance that decided. */
  readonly instance: string;
  /** Wall time of the answer, epoch ms. */
  readonly at: number;
  readonly latencyMs: number;
  /** Status of the outcome report (0: not answered), and the instance that took it. */
  outcome?: { status: number; instance: string; at: number };
}

/** Counts by tenant of what the model emitted and what ingest accepted. */
export interface Sent {
  /** Events accepted by `POST /v1/events` (202), by tenant. */
  readonly accepted: Record<Tenant, number>;
  /** Events the model emitted, by tenant. */
  readonly emitted: Record<Tenant, number>;
  /** Skill-group events by type, by tenant. */
  readonly types: Record<Tenant, { offered: number; answered: number; abandoned: number }>;
  /** Requests ingest refused for good (after retries), with the reason. */
  readonly failed: string[];
  /** The latest state (by event time) each agent was sent in (`tenant/agentId` → state, ts): what the real-time view must show. */
  readonly agentState: Map<string, { state: string; ts: number }>;
  /** Requests resent after a refused or dropped connection or a 503. */
  retries: number;
}

/** What a run did. */
export interface DriveResult {
  readonly start: number;
  readonly end: number;
  readonly summary: TrafficSummary;
  readonly sent: Sent;
  readonly decisions: Decision[];
  /** Route requests not answered 200 (status → count), 0 = no instance answered. */
  readonly routeFailures: Record<string, number>;
  /** Decisions lost in flight: the connection dropped after the request was sent (the balancer resent it). */
  readonly routeResent: number;
  /** Outcome reports sent again after a 503 or no answer. */
  readonly outcomeRetries: number;
  readonly slaTickets: { id: string; tenant: Tenant; status: number; at: number }[];
  /** Wall time of the plateau, epoch ms. */
  readonly peakWall: { from: number; to: number };
  readonly wallMs: number;
}

/** True when control makes a callback ticket for the decision (the default policy: `routing-table.ts`). */
export function expectsTicket(d: Pick<Decision, 'target' | 'level'>): boolean {
  return d.target === 'callback' || (d.target !== 'agent' && d.level === 3);
}

/** Runs `tasks` with at most `n` in flight; `push` adds one; `drain` waits for all. */
function limiter(n: number) {
  let running = 0;
  const queue: (() => Promise<void>)[] = [];
  const idle: (() => void)[] = [];
  const next = () => {
    while (running < n && queue.length > 0) {
      const t = queue.shift()!;
      running++;
      void t().finally(() => {
        running--;
        next();
        if (running === 0 && queue.length === 0) for (const r of idle.splice(0)) r();
      });
    }
  };
  return {
    push(t: () => Promise<void>) {
      queue.push(t);
      next();
    },
    get pending() {
      return running + queue.length;
    },
    drain: () => (running === 0 && queue.length === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r))),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Posts one batch to the ingest pool; resends on 503/429 (Retry-After) and dropped connections (ids make it idempotent). */
async function ingest(pool: Pool, events: TelemetryEvent[], sent: Sent): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const chunk = events.slice(i, i + 1000);
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let body: unknown;
      try {
        ({ status, body } = await pool.request('POST', '/v1/events', { key: KEYS.platform, body: { events: chunk }, waitMs: 120_000 }));
      } catch (err) {
        status = 0;
        body = (err as Error).message;
      }
      if (status === 202) {
        const b = body as { accepted: number; rejected: { index: number; reason: string }[] };
        const refused = new Set(b.rejected.map((r) => r.index));
        chunk.forEach((e, k) => {
          if (!refused.has(k)) sent.accepted[e.tenant as Tenant]++;
        });
        if (b.rejected.length > 0) sent.failed.push(`rejected ${b.rejected.length}: ${b.rejected[0]!.reason}`);
        break;
      }
      // The bus is unavailable (a broker restart), backpressure, or no instance answered: try again, as a collector does.
      if ((status === 503 || status === 429 || status === 0 || status >= 500) && attempt < 200) {
        sent.retries++;
        await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 4)));
        continue;
      }
      sent.failed.push(`POST /v1/events answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
      break;
    }
  }
}

/** Pins `skillGroup` of every tenant at `level` for `forMs` through the control pool. */
export async function pin(control: Pool, skillGroup: string, level: number, forMs: number): Promise<void> {
  for (const t of TENANTS) {
    const r = await control.request('POST', '/v1/control/overrides', {
      key: KEYS.admin[t],
      body: { skillGroup, level, forMs, reason: 'topology test: peak' },
    });
    if (r.status !== 201) throw new Error(`pinning ${t}/${skillGroup} at L${level} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
}

/** Plays the traffic model into the topology and routes every offered call. */
export async function drive(topo: Topology, o: DriveOptions): Promise<DriveResult> {
  const log = o.log ?? (() => {});
  const now = Date.now();
  const start = Math.floor(now / MINUTE) * MINUTE - o.minutes * MINUTE;
  const end = start + o.minutes * MINUTE;
  const ramp = o.peak.rampMinutes ?? 1;
  const peak = {
    start: start + o.peak.fromMinute * MINUTE,
    durationMinutes: o.peak.minutes,
    multiplier: o.peak.multiplier ?? 3,
    rampMinutes: ramp,
  };
  const plateau = { from: peak.start + ramp * MINUTE, to: peak.start + (o.peak.minutes - ramp) * MINUTE };
  const model = new TrafficSimulation(
    buildScenario({ seed: o.seed, start, minutes: o.minutes, tenants: TENANTS, callsPerHour: o.callsPerHour, peaks: [peak] }),
  );
  const zero = () => Object.fromEntries(TENANTS.map((t) => [t, 0])) as Record<Tenant, number>;
  const sent: Sent = {
    accepted: zero(),
    emitted: zero(),
    types: Object.fromEntries(TENANTS.map((t) => [t, { offered: 0, answered: 0, abandoned: 0 }])) as Sent['types'],
    failed: [],
    retries: 0,
    agentState: new Map(),
  };
  const decisions: Decision[] = [];
  const routeFailures: Record<string, number> = {};
  let routeResent = 0;
  let outcomeRetries = 0;
  const routes = limiter(o.routeConcurrency ?? 16);
  const control = topo.pools.control;
  const ingestPool = topo.pools.pipeline;
  const slaTickets: DriveResult['slaTickets'] = [];
  const peakWall = { from: 0, to: 0 };

  const route = async (e: SkillGroupEvent) => {
    const tenant = e.tenant as Tenant;
    const callId = e.body.callId;
    const t0 = performance.now();
    let r: Awaited<ReturnType<Pool['request']>>;
    try {
      r = await control.request('POST', '/v1/route', {
        key: KEYS.router[tenant],
        body: {
          tenant,
          callId,
          skillGroup: e.body.skillGroup,
          priority: callPriority(callId),
          intent: `${e.body.skillGroup}_enquiry`,
          ivrTrajectory: ['welcome', 'main_menu', e.body.skillGroup],
        },
      });
    } catch {
      routeFailures['0'] = (routeFailures['0'] ?? 0) + 1;
      return;
    }
    const latencyMs = performance.now() - t0;
    if (r.failovers > 0) routeResent++;
    if (r.status !== 200) {
      routeFailures[String(r.status)] = (routeFailures[String(r.status)] ?? 0) + 1;
      return;
    }
    const a = r.body as { decisionId: string; target: string; level: number };
    const d: Decision = {
      tenant,
      callId,
      skillGroup: e.body.skillGroup,
      decisionId: a.decisionId,
      target: a.target,
      level: a.level,
      instance: r.instance,
      at: Date.now(),
      latencyMs,
    };
    decisions.push(d);
    // The outcome goes to another control instance than the one that decided, when one is in rotation
    // (the balancer's choice otherwise, or when that one is gone meanwhile).
    const body = { success: true, latencyMs: 40 };
    const path = `/v1/route/${encodeURIComponent(a.decisionId)}/outcome`;
    const other = control.up.find((u) => u !== r.instance);
    let res: { status: number; instance: string } | undefined;
    if (other) {
      try {
        const x = await fetch(`${other}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEYS.router[tenant]}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        await x.text();
        res = { status: x.status, instance: other };
      } catch {
        control.markDown(other);
      }
    }
    // A 503 (Retry-After) is an answer to come back: the CTI reports the outcome again, through the balancer.
    for (let attempt = 0; res === undefined || ((res.status === 503 || res.status === 0) && attempt < 10); attempt++) {
      if (res !== undefined) {
        outcomeRetries++;
        await sleep(250 * attempt);
      }
      try {
        res = await control
          .request('POST', path, { key: KEYS.router[tenant], body })
          .then((x) => ({ status: x.status, instance: x.instance }));
      } catch {
        res = { status: 0, instance: '' };
      }
    }
    d.outcome = { status: res?.status ?? 0, instance: res?.instance ?? '', at: Date.now() };
  };

  let pinned = false;
  let inPeak = false;
  const createSla = async (tenant: Tenant, id: string) => {
    let status = 0;
    try {
      const r = await topo.pools.workflow.request('POST', '/v1/tickets', {
        key: KEYS.admin[tenant],
        body: { flowId: o.slaTickets!.flowId, id, fields: { note: 'topology peak' } },
      });
      status = r.status;
    } catch {
      status = 0;
    }
    slaTickets.push({ id, tenant, status, at: Date.now() });
  };
  let slaMade = 0;
  const slaPending: Promise<void>[] = [];

  const onTime = (ts: number) => {
    if (!inPeak && ts >= plateau.from && ts < plateau.to) {
      inPeak = true;
      peakWall.from = Date.now();
      log(`peak plateau starts (event time ${new Date(ts).toISOString()})`);
      if (o.pinDuringPeak && !pinned) {
        pinned = true;
        const forMs = Math.ceil((plateau.to - plateau.from) / o.speed);
        routes.push(() => pin(control, o.pinDuringPeak!, 3, forMs));
      }
      o.onPeak?.('start');
    }
    if (inPeak && ts >= plateau.to) {
      inPeak = false;
      peakWall.to = Date.now();
      log('peak plateau ends');
      o.onPeak?.('end');
    }
    if (o.slaTickets && ts >= plateau.from) {
      const share = Math.min(1, (ts - plateau.from) / (plateau.to - plateau.from));
      const due = Math.round(share * o.slaTickets.perTenant);
      for (; slaMade < due; slaMade++) {
        for (const t of TENANTS) slaPending.push(createSla(t, `${o.slaTickets.idPrefix}-${t}-${slaMade}`));
      }
    }
  };

  const sink = {
    send: async (events: TelemetryEvent[]) => {
      for (const e of events) {
        const t = e.tenant as Tenant;
        sent.emitted[t]++;
        if (e.source === 'agent') sent.agentState.set(`${t}/${e.body.agentId}`, { state: e.body.state, ts: e.ts });
        if (e.source === 'skillgroup') {
          const type = (e as SkillGroupEvent).body.type;
          if (type === 'OFFERED') {
            sent.types[t].offered++;
            const sg = e as SkillGroupEvent;
            routes.push(() => route(sg));
          } else if (type === 'ANSWERED') sent.types[t].answered++;
          else if (type === 'ABANDONED') sent.types[t].abandoned++;
        }
      }
      await ingest(ingestPool, events, sent);
      onTime(events[events.length - 1]!.ts);
    },
  };
  const t0 = Date.now();
  await pace(model, sink, { clock: systemClock, speed: o.speed, batchSize: 500 });
  if (inPeak) {
    peakWall.to = Date.now();
    o.onPeak?.('end');
  }
  await routes.drain();
  await Promise.all(slaPending);
  const wallMs = Date.now() - t0;
  log(
    `played ${o.minutes} min of traffic in ${(wallMs / 1000).toFixed(1)} s: ${Object.values(sent.accepted).reduce((a, b) => a + b, 0)} events, ${decisions.length} decisions`,
  );
  return {
    start,
    end,
    summary: model.summary(),
    sent,
    decisions,
    routeFailures,
    routeResent,
    outcomeRetries,
    slaTickets,
    peakWall,
    wallMs,
  };
}
