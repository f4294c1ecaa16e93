/**
 * Engine capacity on this machine: the highest sustainable rate of the pipelines (events/s,
 * one worker, chDB in process) and of the control loop (routing decisions/s over HTTP), each
 * found by {@link findMaxRate}; events per call measured on the traffic model; and from them
 * the instances some contact centers would need.
 */
import { TrafficSimulation } from '../../simulator/model.js';
import { buildScenario } from '../../simulator/scenario.js';
import { startControlRig } from './control-probe.js';
import { startPipelineRig } from './pipeline-probe.js';
import { findMaxRate, type ProbeResult, type SearchResult } from './search.js';
import { measureEventsPerCall, sizeDeployment, type ContactCenter, type Sizing } from './sizing.js';

/** What {@link measureCapacity} found. */
export interface CapacityResult {
  readonly pipeline: SearchResult;
  readonly control: SearchResult;
  /** All events over calls offered in an hour of the traffic model (agents' own events included). */
  readonly eventsPerCall: number;
  /** Sizings of example contact centers against the measured capacity. */
  readonly examples: readonly { readonly center: ContactCenter; readonly sizing: Sizing }[];
}

/** Options of {@link measureCapacity}. */
export interface CapacityOptions {
  /** Wall seconds per probe (default 6). */
  readonly seconds?: number;
  /** Most probes per search (default 9). */
  readonly maxProbes?: number;
  readonly onProbe?: (what: 'pipeline' | 'control', r: ProbeResult) => void;
}

/** Events per call of the traffic model: one tenant, an hour at 1200 calls/h. */
export function modelEventsPerCall(seed = 3): number {
  return measureEventsPerCall(
    new TrafficSimulation(buildScenario({ seed, start: Date.UTC(2026, 0, 5, 9), minutes: 60, callsPerHour: 1_200 })),
  );
}

/** Example contact centers for the sizing table: agents and busiest-hour calls. */
export const EXAMPLE_CENTERS: readonly { agents: number; callsPerHour: number }[] = [
  { agents: 100, callsPerHour: 1_200 },
  { agents: 500, callsPerHour: 6_000 },
  { agents: 2_000, callsPerHour: 25_000 },
  { agents: 10_000, callsPerHour: 120_000 },
];

/** Runs both searches, one after the other, and sizes the examples. */
export async function measureCapacity(o: CapacityOptions = {}): Promise<CapacityResult> {
  const seconds = o.seconds ?? 6;
  const maxProbes = o.maxProbes ?? 9;
  const eventsPerCall = Math.round(modelEventsPerCall() * 10) / 10;
  const p = await startPipelineRig({ seconds });
  let pipeline: SearchResult;
  try {
    pipeline = await findMaxRate(p.probe, {
      start: 500,
      factor: 2,
      tolerance: 0.15,
      maxProbes,
      onProbe: (r) => o.onProbe?.('pipeline', r),
    });
  } finally {
    await p.close();
  }
  const c = await startControlRig({ seconds: Math.max(3, Math.round(seconds / 2)) });
  let control: SearchResult;
  try {
    control = await findMaxRate(c.probe, {
      start: 1_000,
      factor: 2,
      tolerance: 0.15,
      maxProbes,
      onProbe: (r) => o.onProbe?.('control', r),
    });
  } finally {
    await c.close();
  }
  const capacity = { eventsPerSec: Math.max(1, pipeline.maxSustained), decisionsPerSec: Math.max(1, control.maxSustained) };
  const examples = EXAMPLE_CENTERS.map((x) => {
    const center: ContactCenter = { ...x, eventsPerCall, agentEventsPerHour: 0 };
    return { center, sizing: sizeDeployment(center, capacity) };
  });
  return { pipeline, control, eventsPerCall, examples };
}

const n = (x: number) => Math.round(x).toLocaleString('en');

/** The capacity section of bench/RESULTS.md. */
export function capacityMarkdown(r: CapacityResult): string {
  const probes = (s: SearchResult, unit: string) =>
    s.probes
      .map((p) => `| ${n(p.rate)} | ${n(p.achieved)} | ${n(p.p99Ms)} ms | ${p.sustained ? 'yes' : `no — ${p.reason ?? ''}`} |`)
      .join('\n') +
    `\n\nHighest sustained: **${n(s.maxSustained)} ${unit}** (first not sustained: ${Number.isFinite(s.firstUnsustained) ? n(s.firstUnsustained) : '—'}).`;
  return [
    '## Engine capacity',
    '',
    'Offered rate stepped up ×2 until not sustained, then bisected to within 15 %.',
    '',
    '**Pipelines** (one worker, all four pipelines, in-process bus, chDB in process; traffic-model events). Sustained = backlog at the end ≤ 1 s of input and p99 of the backlog (sampled every 100 ms) ≤ 2 s. The p99 column is that backlog.',
    '',
    '| offered events/s | handled events/s | p99 backlog | sustained |',
    '| ---: | ---: | ---: | --- |',
    probes(r.pipeline, 'events/s'),
    '',
    '**Control** (`POST /v1/route` over HTTP on 127.0.0.1, bench/control/server.ts in a child process, requests evenly paced at the offered rate over up to 32 keep-alive connections from this process, on the same 2 cores). Sustained = ≥ 95 % of the offered rate answered, all 2xx, median ≤ 5 ms (the queue is not growing) and p99 ≤ 500 ms (loose: being descheduled on the shared machine alone costs tens to hundreds of ms at p99).',
    '',
    '| offered decisions/s | answered/s | p99 latency | sustained |',
    '| ---: | ---: | ---: | --- |',
    probes(r.control, 'decisions/s'),
    '',
    `### Sizing (\`sluice bench capacity --agents … --calls-per-hour …\`)`,
    '',
    `Events per call measured on the traffic model: ${r.eventsPerCall} (all four sources, agents' own events included). Demand at 3× the busiest hour, instances planned at 70 % of the capacity above, plus one spare (N+1).`,
    '',
    '| agents | calls/h | events/s at 3× | decisions/s at 3× | pipeline instances | control instances |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.examples.map(
      ({ center: c, sizing: s }) =>
        `| ${n(c.agents)} | ${n(c.callsPerHour)} | ${n(s.eventsPerSec)} | ${n(s.decisionsPerSec)} | ${s.pipelineInstances} | ${s.controlInstances} |`,
    ),
    '',
  ].join('\n');
}
