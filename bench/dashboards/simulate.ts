/**
 * A Sluice in-process (every role, chDB in memory, open API) filled by a simulated run, so the
 * dashboards' queries have real rows to find: the traffic model's events (simulator/) of all four sources
 * through `POST /v1/events`, routing decisions at a pinned degradation level (diversions to chat, then to
 * callback once the chat breaker is forced open), and a short-SLA ticket whose warning and breach fire.
 */
import { pino } from 'pino';
import { batches, TrafficSimulation } from '../../simulator/model.js';
import { buildScenario } from '../../simulator/scenario.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';

/** Options of {@link simulatedSluice}. */
export interface SimulationOptions {
  /** Minutes of traffic (default 120), starting 100 minutes into a scenario shift that began 6 to 14 hours ago. */
  readonly minutes?: number;
  /** Calls per hour of the tenant (default 600). */
  readonly callsPerHour?: number;
  readonly seed?: number;
  /** Longest wait for the run's rows to be stored, ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** A filled Sluice and what a dashboard user would pick to look at it. */
export interface SimulatedRun {
  readonly sluice: Sluice;
  readonly tenant: string;
  /** Skill groups seen in the run. */
  readonly skillGroups: string[];
  /** The time range covering the run and the records made after it, epoch ms (first event to a minute after now). */
  readonly fromMs: number;
  readonly toMs: number;
}

const TENANT = 'demo';
const HOUR = 3_600_000;

/** The flow whose SLA warns after 1 s and breaches after 2 s (the shipped flows take minutes). */
const QUICK_SLA_FLOW = {
  id: 'dashboards-check',
  version: 1,
  name: 'Dashboards check',
  permissions: { start: ['role:admin'], admin: ['role:admin'] },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'review', type: 'task', assignees: { user: 'ann' }, sla: { duration: '2s', warnings: [{ delay: '1s', channel: 'message' }] } },
    { id: 'end', type: 'end' },
  ],
  controls: [
    { from: 'start', to: 'review' },
    { from: 'review', to: 'end' },
  ],
};

async function expectStatus(what: string, res: { statusCode: number; body: string }, status: number): Promise<void> {
  if (res.statusCode !== status)
    throw new Error(`simulation: ${what} answered ${res.statusCode} (expected ${status}): ${res.body.slice(0, 300)}`);
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`simulation: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts Sluice on chDB and plays a simulated run into it; close `sluice` when done. */
export async function simulatedSluice(o: SimulationOptions = {}): Promise<SimulatedRun> {
  const minutes = o.minutes ?? 120;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const config = loadConfig({
    SLUICE_OPEN: 'true',
    CHDB_PATH: ':memory:',
    CLICKHOUSE_DATABASE: `dashboards_${process.pid}_${Date.now() % 100_000}`,
    PORT: '0',
    LOG_LEVEL: 'warn',
    SLUICE_TENANTS: TENANT,
  });
  const sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  try {
    // The scenario's shifts start at 00:00, 08:00 and 16:00 UTC with the first breaks (AUX) two hours in:
    // start 100 minutes into a shift that began at least 6 hours ago, so the run holds breaks whatever the hour.
    const start = Math.floor((Date.now() - 6 * HOUR) / (8 * HOUR)) * 8 * HOUR + 100 * 60_000;
    const run = new TrafficSimulation(
      buildScenario({ seed: o.seed ?? 11, start, minutes, tenants: [TENANT], callsPerHour: o.callsPerHour ?? 600 }),
    );
    const skillGroups = new Set<string>();
    let sent = 0;
    for (const batch of batches<TelemetryEvent>(run, 2_000)) {
      for (const e of batch) if (e.source === 'skillgroup') skillGroups.add(e.body.skillGroup);
      let res = await sluice.app.inject({ method: 'POST', url: '/v1/events', payload: { events: batch } });
      // The in-process pipeline pushes back while it catches up (503 + Retry-After): wait, as a client must.
      for (let tries = 0; res.statusCode === 503 && res.headers['retry-after'] !== undefined && tries < 60; tries++) {
        await new Promise((r) => setTimeout(r, Number(res.headers['retry-after']) * 1000));
        res = await sluice.app.inject({ method: 'POST', url: '/v1/events', payload: { events: batch } });
      }
      await expectStatus('POST /v1/events', res, 202);
      sent += batch.length;
    }
    await until(`the pipelines to handle ${sent} events`, timeoutMs, async () => (sluice.worker?.handled ?? 0) >= sent);

    const groups = [...skillGroups].sort();
    const route = async (i: number) => {
      const res = await sluice.app.inject({
        method: 'POST',
        url: '/v1/route',
        payload: { tenant: TENANT, callId: `dash-${i}`, skillGroup: groups[i % groups.length], priority: i % 3 === 0 ? 'low' : 'normal' },
      });
      await expectStatus('POST /v1/route', res, 200);
    };
    for (let i = 0; i < 10; i++) await route(i);
    // A pinned L2 for the tenant: a level change, and low/normal calls diverted (callback tickets among them).
    await expectStatus(
      'POST /v1/control/overrides',
      await sluice.app.inject({
        method: 'POST',
        url: '/v1/control/overrides',
        payload: { tenant: TENANT, level: 2, forMs: 600_000, reason: 'dashboards check' },
      }),
      201,
    );
    for (let i = 10; i < 25; i++) await route(i);
    // The chat channel's breaker forced open: a breaker transition, and every further diversion a callback.
    await expectStatus(
      'POST /v1/control/breakers/channel:chat/force',
      await sluice.app.inject({
        method: 'POST',
        url: '/v1/control/breakers/channel:chat/force',
        payload: { mode: 'open', forMs: 600_000, reason: 'dashboards check' },
      }),
      200,
    );
    for (let i = 25; i < 40; i++) await route(i);

    await expectStatus(
      'POST /v1/flows',
      await sluice.app.inject({ method: 'POST', url: `/v1/flows?tenant=${TENANT}`, payload: QUICK_SLA_FLOW }),
      201,
    );
    await expectStatus(
      'POST /v1/tickets',
      await sluice.app.inject({
        method: 'POST',
        url: '/v1/tickets',
        payload: { tenant: TENANT, flowId: QUICK_SLA_FLOW.id, title: 'SLA check' },
      }),
      201,
    );

    const { client, database } = sluice.clickhouse;
    const count = async (table: string, where = '1') => {
      const rs = await client.query({ query: `SELECT count() AS n FROM ${database}.${table} WHERE ${where}`, format: 'JSONEachRow' });
      return Number(((await rs.json()) as { n: string }[])[0]?.n ?? 0);
    };
    await until('decisions, level changes and SLA warnings in ClickHouse', timeoutMs, async () => {
      const [d, l, w] = await Promise.all([count('route_decisions'), count('level_changes'), count('sla_warnings', "kind = 'breach'")]);
      return d >= 40 && l > 0 && w > 0;
    });
    return { sluice, tenant: TENANT, skillGroups: groups, fromMs: start, toMs: Date.now() + 60_000 };
  } catch (err) {
    await sluice.close();
    throw err;
  }
}
