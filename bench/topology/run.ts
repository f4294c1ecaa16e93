/**
 * `npm run bench:topology`: the deployed topology of the topology tests (test/topology/harness.ts: 2 pipeline
 * workers, 2 control, 2 workflow and 1 reporting instance once that role exists, own Kafka broker, redis-server and
 * chDB over ClickHouse's HTTP interface, a round-robin balancer) at increasing offered load, steady traffic from the
 * traffic model. Reports per load: events/s and routes/s sustained by the whole, route p50/p99 as the balancer's
 * client measured them; route p99 while the heaviest report queries run (on the reporting instance, or — without
 * that role — on the instances that serve them today: every control instance) against the same load without them,
 * interleaved (the in-run baseline); and the take-over time after a kill -9 of a worker, the leading control instance
 * and a workflow instance. Writes bench/topology/RESULTS.md; the last line printed is one JSON object.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, machineTable, percentile } from '../machine.js';
import type { Pool } from '../../test/topology/balancer.js';
import { KEYS, startTopology, TENANTS, type Instance, type Topology } from '../../test/topology/harness.js';
import { controlState, leaderTakeOver, slaFlow, workerFigures, workerTakeOver } from '../../test/topology/journeys.js';
import { drive, type DriveResult } from '../../test/topology/traffic.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (l: string) => console.error(`[bench:topology] ${l}`);
const SPEED = 12;
/** Wall time of one load step, s. */
const STEP_S = Number(process.env.TOPOLOGY_BENCH_STEP_S ?? 20);
/** Calls per hour per tenant at load ×1 (before the speed-up). */
const BASE_CALLS_PER_HOUR = 900;
const LOADS = (process.env.TOPOLOGY_BENCH_LOADS ?? '1,4,16,32').split(',').map(Number);

interface Step {
  load: number;
  offeredEventsPerSec: number;
  eventsPerSec: number;
  routesPerSec: number;
  routeP50Ms: number;
  routeP99Ms: number;
  /** The player kept to the schedule (wall ≤ 1.15 × planned) and nothing failed. */
  sustained: boolean;
  failures: number;
}

let seed = 160;
async function step(topo: Topology, load: number, extra?: Partial<Parameters<typeof drive>[1]>): Promise<{ step: Step; run: DriveResult }> {
  const minutes = (STEP_S * SPEED) / 60;
  const run = await drive(topo, {
    seed: seed++,
    minutes,
    callsPerHour: BASE_CALLS_PER_HOUR * load,
    speed: SPEED,
    peak: { fromMinute: 0, minutes, multiplier: 1, rampMinutes: 0 },
    routeConcurrency: 32,
    ...extra,
  });
  const events = TENANTS.reduce((n, t) => n + run.sent.accepted[t], 0);
  const emitted = TENANTS.reduce((n, t) => n + run.sent.emitted[t], 0);
  const lat = run.decisions.map((d) => d.latencyMs);
  const failures = run.sent.failed.length + Object.values(run.routeFailures).reduce((a, b) => a + b, 0);
  const planned = STEP_S * 1000;
  const s: Step = {
    load,
    offeredEventsPerSec: Math.round(emitted / STEP_S),
    eventsPerSec: Math.round((events * 1000) / run.wallMs),
    routesPerSec: Math.round((run.decisions.length * 1000) / run.wallMs),
    routeP50Ms: Math.round(percentile(lat, 50) * 10) / 10,
    routeP99Ms: Math.round(percentile(lat, 99) * 10) / 10,
    sustained: run.wallMs <= planned * 1.15 && failures === 0,
    failures,
  };
  log(`load ×${load}: ${JSON.stringify(s)}`);
  return { step: s, run };
}

/** The heaviest report queries over the whole stored range, `loops` at a time, until `signal` aborts. */
async function reportLoad(pool: Pool, signal: AbortSignal, loops = 4): Promise<{ queries: number; p99Ms: number }> {
  const to = Date.now() + 60_000;
  const from = to - 30 * 24 * 3_600_000;
  const paths = [
    `/v1/reports/reconciliation?from=${from}&to=${to}`,
    `/v1/reports/intervals?from=${from}&to=${to}`,
    `/v1/reports/minutes?from=${from}&to=${to}`,
  ];
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: loops }, async (_, i) => {
      for (let k = i; !signal.aborted; k++) {
        const t = TENANTS[k % TENANTS.length]!;
        const t0 = performance.now();
        await pool.request('GET', paths[k % paths.length]!, { key: KEYS.admin[t] }).catch(() => undefined);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return { queries: lat.length, p99Ms: Math.round(percentile(lat, 99)) };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const topo = await startTopology({ log, env: { SLUICE_ALLOWED_LATENESS_MS: '3600000' } });
  const reportingRole = topo.byRole('reporting').length > 0;
  const reportPool = reportingRole ? topo.pools.reporting : topo.pools.control;
  try {
    for (const t of TENANTS) {
      const r = await topo.pools.workflow.request('POST', '/v1/flows', {
        key: KEYS.admin[t],
        body: slaFlow(t, 'bench-sla', { warn1: 2_000, warn2: 4_000, breach: 6_000 }),
      });
      if (r.status !== 201) throw new Error(`deploying the SLA flow answered ${r.status}`);
    }
    // 1. Increasing offered load.
    const steps: Step[] = [];
    for (const load of LOADS) steps.push((await step(topo, load)).step);
    const top = [...steps].reverse().find((s) => s.sustained) ?? steps[0]!;

    // 2. Route p99 with and without report queries, interleaved, at the highest sustained load.
    const alone: Step[] = [];
    const withReports: Step[] = [];
    const reports: { queries: number; p99Ms: number }[] = [];
    for (let round = 0; round < 2; round++) {
      alone.push((await step(topo, top.load)).step);
      const abort = new AbortController();
      const loadP = reportLoad(reportPool, abort.signal);
      withReports.push((await step(topo, top.load)).step);
      abort.abort();
      reports.push(await loadP);
    }
    const meanP99 = (xs: Step[]) => xs.reduce((n, s) => n + s.routeP99Ms, 0) / xs.length;
    const p99Ratio = Math.round((meanP99(withReports) / meanP99(alone)) * 100) / 100;

    // 3. Take-over after a kill -9 of each role, under steady load ×1.
    const takeOver: Record<string, number> = {};
    const killAndMeasure = async (what: string, victim: Instance, measure: (killedAt: number) => Promise<number>) => {
      await victim.kill();
      takeOver[what] = await measure(victim.killedAt!);
      log(`take-over ${what}: ${takeOver[what]} ms`);
      await victim.start();
    };
    const steady = step(topo, 1, { slaTickets: { flowId: 'bench-sla', perTenant: 20, idPrefix: 'bench' } });
    await new Promise((r) => setTimeout(r, 3_000));
    let held = 0;
    for (const w of topo.byRole('pipeline')) held += (await workerFigures(w))?.partitions ?? 0;
    await killAndMeasure('pipeline worker: partitions taken over', topo.byRole('pipeline')[0]!, async (at) => {
      const t = await workerTakeOver(topo.byRole('pipeline')[1]!, held, at);
      takeOver['pipeline worker: caught up'] = t.caughtUp;
      return t.assigned;
    });
    await steady;
    const steady2 = step(topo, 1, { slaTickets: { flowId: 'bench-sla', perTenant: 20, idPrefix: 'bench2' } });
    await new Promise((r) => setTimeout(r, 3_000));
    let leader = topo.byRole('control')[0]!;
    for (const x of topo.byRole('control')) if ((await controlState(x))?.shared.leader) leader = x;
    const survivor = topo.byRole('control').find((x) => x !== leader)!;
    await killAndMeasure('control (leader): survivor leads', leader, (at) => leaderTakeOver(survivor, at));
    await steady2;
    // Tickets whose timers fall due 2–6 s from now, spread over both workflow instances; one instance dies while they fire:
    // the timers it had claimed fire from the survivor once their lease ends.
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const t = TENANTS[i % TENANTS.length]!;
      const r = await topo.pools.workflow.request('POST', '/v1/tickets', {
        key: KEYS.admin[t],
        body: { flowId: 'bench-sla', id: `wfkill-${i}` },
      });
      if (r.status === 201) ids.add(`${t}/wfkill-${i}`);
    }
    await new Promise((r) => setTimeout(r, 3_000));
    await killAndMeasure('workflow: timers late after the kill (max)', topo.byRole('workflow')[0]!, async (at) => {
      await new Promise((r) => setTimeout(r, 30_000));
      const fired = topo.webhook.received.filter((n) => n.at > at && ids.has(`${n.tenant}/${n.ticketId}`));
      if (fired.length < ids.size * 3) log(`only ${fired.length} of ${ids.size * 3} timers fired after the kill`);
      return Math.max(0, ...fired.map((n) => n.latenessMs));
    });

    const result = {
      bench: 'topology',
      machine,
      topology: {
        pipeline: topo.byRole('pipeline').length,
        control: topo.byRole('control').length,
        workflow: topo.byRole('workflow').length,
        reporting: topo.byRole('reporting').length,
      },
      steps,
      sustained: { load: top.load, eventsPerSec: top.eventsPerSec, routesPerSec: top.routesPerSec },
      reports: {
        servedBy: reportingRole ? 'reporting instance' : 'control instances (no reporting role yet)',
        routeP99AloneMs: alone.map((s) => s.routeP99Ms),
        routeP99WithReportsMs: withReports.map((s) => s.routeP99Ms),
        p99Ratio,
        reportQueries: reports,
      },
      takeOverMs: takeOver,
    };
    writeFileSync(join(here, 'RESULTS.md'), markdown(result));
    console.log(JSON.stringify(result));
  } finally {
    await topo.stop();
  }
}

function markdown(r: {
  machine: ReturnType<typeof machineInfo>;
  topology: Record<string, number>;
  steps: Step[];
  sustained: { load: number; eventsPerSec: number; routesPerSec: number };
  reports: { servedBy: string; routeP99AloneMs: number[]; routeP99WithReportsMs: number[]; p99Ratio: number; reportQueries: unknown };
  takeOverMs: Record<string, number>;
}): string {
  const rows = r.steps
    .map(
      (s) =>
        `| ×${s.load} | ${s.offeredEventsPerSec} | ${s.eventsPerSec} | ${s.routesPerSec} | ${s.routeP50Ms} ms | ${s.routeP99Ms} ms | ${s.sustained ? 'yes' : 'no'} |`,
    )
    .join('\n');
  return `# Topology benchmark results

Generated by \`npm run bench:topology\` (bench/topology/run.ts); rerun it to regenerate this file.

${machineTable(r.machine)}

Topology: ${Object.entries(r.topology)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')} (separate processes), own Kafka broker, redis-server (append-only) and chDB behind ClickHouse's HTTP
interface, all on this machine; a round-robin balancer in the bench process. Traffic: the traffic model (two tenants,
three skill groups each), ${SPEED}× faster than real time, ${STEP_S} s of wall time per step; every offered call routed,
its outcome reported to the other control instance.

| load | events/s offered | events/s accepted | routes/s | route p50 | route p99 | sustained |
| --- | --- | --- | --- | --- | --- | --- |
${rows}

Highest sustained load: ×${r.sustained.load}, ${r.sustained.eventsPerSec} events/s and ${r.sustained.routesPerSec} routes/s.

Report queries (reconciliation, intervals, minutes over 30 days, 4 loops) served by the ${r.reports.servedBy}:
route p99 alone ${r.reports.routeP99AloneMs.join(', ')} ms, with the report queries ${r.reports.routeP99WithReportsMs.join(', ')} ms
(interleaved runs) — ratio ${r.reports.p99Ratio}×. Queries: ${JSON.stringify(r.reports.reportQueries)}.

Take-over after kill -9 (ms): ${Object.entries(r.takeOverMs)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ')}.
`;
}

await main().catch((err) => {
  console.error(err);
  process.exit(1);
});
