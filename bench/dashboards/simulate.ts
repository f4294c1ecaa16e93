/**
 * A Sluice in-process (every role, chDB in memory, open API, listening on a loopback port so a real Prometheus
 * can scrape it) filled by a simulated run, so the dashboards' queries have real rows and series to find:
 * the traffic model's events (simulator/) of all four sources through `POST /v1/events`, then live control
 * traffic as a SIP proxy makes it ({@link driveControl}: calls routed with outcomes through a steady spell, a
 * CTI node failing so its breaker opens and the level rises, a peak, the chat application failing so
 * diversions go to callback, the node's recovery) and ticket traffic on a short-SLA flow whose warnings and
 * breaches fire within seconds.
 */
import { pino } from 'pino';
import { batches, TrafficSimulation } from '../../simulator/model.js';
import { buildScenario } from '../../simulator/scenario.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';

/** Options of {@link simulatedSluice}. */
export interface SimulationOptions {
  /** Minutes of traffic model history (default 120), ending now, starting 100 minutes into a scenario shift (local time). */
  readonly minutes?: number;
  /** Calls per hour of the tenant (default 600). */
  readonly callsPerHour?: number;
  readonly seed?: number;
  /** Longest wait for the run's rows to be stored, ms (default 60 000). */
  readonly timeoutMs?: number;
  /** Called once Sluice listens, before any traffic (e.g. to start a Prometheus scraping `sluice.url`). */
  readonly onListening?: (sluice: Sluice) => Promise<void>;
  /** Scale of the live control phases (default 1: about 20 s of live traffic). */
  readonly liveScale?: number;
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
  /** When the traffic was sent, wall-clock epoch ms: from the first event posted to the end of the live traffic (what a Prometheus saw). */
  readonly liveFromMs: number;
  readonly liveToMs: number;
  /** What the live control traffic did, for the report. */
  readonly control: ControlSummary;
}

const TENANT = 'demo';

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
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SLUICE_TENANTS: TENANT,
  });
  const sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  try {
    await o.onListening?.(sluice);
    const liveFromMs = Date.now();
    // The history ends now, so the real-time state (calls waiting, longest wait) is today's. The scenario's shifts
    // start at 00:00, 08:00 and 16:00 local time with the first breaks (AUX) two hours in: the scenario's UTC
    // offset puts the start 100 minutes into a shift, so the run holds breaks whatever the hour.
    const start = Math.floor((Date.now() - minutes * 60_000) / 60_000) * 60_000;
    const utcOffsetMinutes = (((100 - ((start / 60_000) % 480)) % 480) + 480) % 480;
    const run = new TrafficSimulation(
      buildScenario({ seed: o.seed ?? 11, start, minutes, utcOffsetMinutes, tenants: [TENANT], callsPerHour: o.callsPerHour ?? 600 }),
    );
    const skillGroups = new Set<string>();
    let sent = 0;
    let last: TelemetryEvent | undefined;
    for (const batch of batches<TelemetryEvent>(run, 2_000)) {
      for (const e of batch)
        if (e.source === 'skillgroup') {
          skillGroups.add(e.body.skillGroup);
          last = e;
        }
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
    // What a collector gets wrong now and then: an event sent twice, one arriving two hours late, two invalid.
    if (!last) throw new Error('simulation: the traffic model made no skill-group event');
    const faulty = [
      last,
      { ...last, id: `${last.id}-late`, ts: start + 60_000 },
      { ...last, id: `${last.id}-seconds`, ts: Math.floor(last.ts / 1000) },
      { ...last, id: `${last.id}-control-char`, body: { ...last.body, skillGroup: 'sales\u0000' } },
    ];
    await expectStatus(
      'POST /v1/events (faulty)',
      await sluice.app.inject({ method: 'POST', url: '/v1/events', payload: { events: faulty } }),
      202,
    );
    sent += 2;
    await until(`the pipelines to handle ${sent} events`, timeoutMs, async () => (sluice.worker?.handled ?? 0) >= sent);

    const groups = [...skillGroups].sort();
    const control = await driveControl(sluice, groups, o.liveScale ?? 1);

    const { client, database } = sluice.clickhouse;
    const count = async (table: string, where = '1') => {
      const rs = await client.query({ query: `SELECT count() AS n FROM ${database}.${table} WHERE ${where}`, format: 'JSONEachRow' });
      return Number(((await rs.json()) as { n: string }[])[0]?.n ?? 0);
    };
    await until('decisions, level changes and SLA warnings in ClickHouse', timeoutMs, async () => {
      const [d, l, w] = await Promise.all([count('route_decisions'), count('level_changes'), count('sla_warnings', "kind = 'breach'")]);
      return d >= control.routed && l > 0 && w > 0;
    });
    const liveToMs = Date.now();
    return { sluice, tenant: TENANT, skillGroups: groups, fromMs: start, toMs: liveToMs + 60_000, liveFromMs, liveToMs, control };
  } catch (err) {
    await sluice.close();
    throw err;
  }
}

/** What {@link driveControl} did. */
export interface ControlSummary {
  /** Calls routed (`POST /v1/route` answered 200). */
  readonly routed: number;
  /** Outcomes reported, by outcome. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Decisions by target. */
  readonly targets: Readonly<Record<string, number>>;
  /** Highest level a decision carried. */
  readonly highestLevel: number;
  /** Tickets opened on the short-SLA flow, and those completed. */
  readonly tickets: number;
  readonly ticketsCompleted: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Live control and ticket traffic, in wall-clock time, as a SIP proxy and a supervisor make it:
 * 1. steady (L0): calls routed to agents, `connected` at 20–90 ms, some callers hanging up first;
 * 2. the CTI node `cti-primary` fails: its calls are reported `failed`, its breaker opens, the level rises and
 *    calls go to the backup node; then a peak of calls at 2.5 times the rate, which the backup node answers
 *    in about 2 s (the level rises further and meets the levels' admission limits), and the chat
 *    application fails too, so its breaker opens and diversions go to callback;
 * 3. recovery: every node answers again, the breakers close after their probes.
 * Tickets on the short-SLA flow are opened throughout (warnings after 1 s, breaches after 2 s), every other
 * one completed in time. Each phase lasts `scale` × a few seconds.
 */
export async function driveControl(sluice: Sluice, groups: readonly string[], scale = 1): Promise<ControlSummary> {
  const inject = sluice.app.inject.bind(sluice.app);
  await expectStatus('POST /v1/flows', await inject({ method: 'POST', url: `/v1/flows?tenant=${TENANT}`, payload: QUICK_SLA_FLOW }), 201);
  const outcomes: Record<string, number> = {};
  const targets: Record<string, number> = {};
  let routed = 0;
  let highestLevel = 0;
  let tickets = 0;
  let ticketsCompleted = 0;
  let failing = { cti: false, slowBackup: false, chat: false };
  const pending: Promise<unknown>[] = [];
  const errors: Error[] = [];
  const track = (p: Promise<unknown>) => pending.push(p.catch((err: Error) => errors.push(err)));

  const report = async (decisionId: string, outcome: string, latencyMs?: number) => {
    const res = await inject({
      method: 'POST',
      url: `/v1/route/${encodeURIComponent(decisionId)}/outcome`,
      payload: latencyMs === undefined ? { outcome } : { outcome, latencyMs },
    });
    await expectStatus(`POST /v1/route/…/outcome ${outcome}`, res, 204);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  const call = async (i: number) => {
    const priority = i % 10 === 0 ? 'vip' : i % 5 === 0 ? 'high' : i % 3 === 0 ? 'low' : 'normal';
    const res = await inject({
      method: 'POST',
      url: '/v1/route',
      payload: { tenant: TENANT, callId: `dash-${i}`, skillGroup: groups[i % groups.length], priority },
    });
    await expectStatus('POST /v1/route', res, 200);
    const d = res.json() as { decisionId: string; target: string; ctiNode?: string; level: number };
    routed++;
    targets[d.target] = (targets[d.target] ?? 0) + 1;
    highestLevel = Math.max(highestLevel, d.level);
    // What the node or application answered, after its latency (the proxy reports at the first answer).
    const slow = failing.slowBackup && d.target === 'agent' && d.ctiNode !== 'cti-primary';
    const latencyMs = slow ? 1_800 + ((i * 37) % 700) : 20 + ((i * 37) % 70);
    await sleep(latencyMs);
    if (d.target === 'reject') return report(d.decisionId, 'not-attempted');
    if (d.target === 'agent' && failing.cti && d.ctiNode === 'cti-primary') return report(d.decisionId, 'failed', 3 + (i % 5));
    if (d.target === 'chat' && failing.chat) return report(d.decisionId, i % 2 ? 'failed' : 'timeout', i % 2 ? 4 : undefined);
    if (i % 17 === 0) return report(d.decisionId, 'abandoned');
    return report(d.decisionId, 'connected', latencyMs);
  };
  const ticket = async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/tickets',
      payload: { tenant: TENANT, flowId: QUICK_SLA_FLOW.id, title: `SLA check ${tickets}` },
    });
    await expectStatus('POST /v1/tickets', res, 201);
    const n = tickets++;
    if (n % 2 === 1) {
      // Completed within the SLA: a closed ticket and a stopped clock.
      const id = (res.json() as { ticket?: { id: string }; id?: string }).ticket?.id ?? (res.json() as { id: string }).id;
      const done = await inject({
        method: 'POST',
        url: `/v1/tickets/${encodeURIComponent(id)}/actions?tenant=${TENANT}`,
        payload: { type: 'complete' },
      });
      await expectStatus('POST /v1/tickets/…/actions complete', done, 200);
      ticketsCompleted++;
    }
  };

  let i = 0;
  const phase = async (ms: number, everyMs: number) => {
    const end = Date.now() + ms * scale;
    let nextTicket = 0;
    while (Date.now() < end) {
      track(call(i++));
      if (Date.now() >= nextTicket) {
        track(ticket());
        nextTicket = Date.now() + 1_500;
      }
      await sleep(everyMs);
    }
  };
  await phase(5_000, 100); // steady
  failing = { cti: true, slowBackup: false, chat: false };
  await phase(4_000, 100); // the CTI node fails
  failing = { cti: true, slowBackup: true, chat: true };
  await phase(4_000, 40); // a peak the backup node answers slowly; the chat application fails too
  failing = { cti: false, slowBackup: false, chat: false };
  await phase(8_000, 100); // recovery: probes after 5 s close the breakers
  await Promise.all(pending);
  if (errors.length) throw new Error(`simulation: ${errors.length} requests failed; the first: ${errors[0]!.message}`);
  return { routed, outcomes, targets, highestLevel, tickets, ticketsCompleted };
}
