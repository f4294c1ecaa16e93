/**
 * The scenario set: steady load, a peak at 3× normal, the primary CTI node failing mid-peak,
 * ClickHouse slowing down, a Redis outage and a sustained soak. Each states, as data, what
 * must be seen; `short` runs in the test suite (seconds), `full` in `npm run bench`.
 *
 * Ticks are the control loop's (1 s). The control loop runs with its defaults (thresholds
 * 0.5 / 0.7 / 0.85, 30 s hold per step down) unless a scenario says otherwise.
 */
import type { ScenarioDefinition } from './types.js';

const ONE = ['acme'];
const TWO = ['acme', 'globex'];

/** Steady load at the staffed rate: nothing escalates, nothing is lost. */
export const steady: ScenarioDefinition = {
  name: 'steady',
  title: 'Steady load',
  description:
    'Traffic at the rate the agents were staffed for (Erlang A, 80 % in 20 s). The control loop should stay at L0 without flapping, send every call to agents on the primary CTI, and the pipelines should store every event.',
  seed: 11,
  short: { store: 'memory', minutes: 1.5, warmupSec: 600, tenants: ONE, callsPerHour: 1_200, phases: { all: [0, 90] } },
  full: { minutes: 10, warmupSec: 1200, tenants: TWO, callsPerHour: 2_400, phases: { all: [0, 600] } },
  faults: [],
  expectations: [
    { kind: 'level-stays-at-most', level: 0, phase: 'all' },
    { kind: 'level-changes-at-most', count: 0, phase: 'all' },
    { kind: 'every-call-answered' },
    { kind: 'lag-stays-below', ms: 2_000, phase: 'all' },
    { kind: 'nothing-lost' },
  ],
};

/** A peak ramping to 3× normal and back. */
export const peak: ScenarioDefinition = {
  name: 'peak',
  title: 'Peak at 3× normal',
  description:
    'Traffic ramps to three times the staffed rate, holds, and ramps back. Queues build, so the level should escalate within a few ticks of the queue signals turning, calls should start going to diversion channels, and after the peak the level should step back to L0 one hold at a time (hysteresis), with nothing lost.',
  seed: 12,
  short: {
    store: 'memory',
    minutes: 390 / 60,
    warmupSec: 900,
    tenants: ONE,
    callsPerHour: 1_200,
    peaks: [{ multiplier: 3, phase: 'peak', rampSec: 10 }],
    phases: { calm: [0, 20], peak: [20, 170], after: [170, 390] },
  },
  full: {
    minutes: 23,
    warmupSec: 1200,
    tenants: TWO,
    callsPerHour: 2_400,
    peaks: [{ multiplier: 3, phase: 'peak', rampSec: 60 }],
    phases: { calm: [0, 180], peak: [180, 780], after: [780, 1_380] },
  },
  faults: [],
  expectations: [
    { kind: 'level-stays-at-most', level: 0, phase: 'calm' },
    { kind: 'level-reaches', level: 1, phase: 'peak', withinTicks: 90 },
    { kind: 'diversions', min: 5, phase: 'peak' },
    { kind: 'level-changes-at-most', count: 2, phase: 'after' },
    { kind: 'level-returns', level: 0, after: 'peak', withinTicks: 400 },
    { kind: 'every-call-answered' },
    { kind: 'nothing-lost' },
  ],
};

/** The primary CTI node fails in the middle of a peak. */
export const ctiFailure: ScenarioDefinition = {
  name: 'cti-failure',
  title: 'Primary CTI failing mid-peak',
  description:
    'During a 2× peak the primary CTI node starts refusing every call (the CTI/IVR reports a failure after 50 ms). Its breaker should open within a few ticks; CTI availability is a dominant pressure component, so the level should rise; agent calls should move to the backup node (only probes reach the primary); every call should still get an answer; once the node is back its breaker should close again. (A node that fails slowly — 3 s per call — raises the level to L3 through CTI latency within 3 ticks instead, and the breaker may then see too few calls to trip; see the README.)',
  seed: 13,
  short: {
    store: 'memory',
    minutes: 200 / 60,
    warmupSec: 600,
    tenants: ONE,
    callsPerHour: 2_400,
    peaks: [{ multiplier: 2, phase: 'peak', rampSec: 10 }],
    phases: { calm: [0, 20], peak: [20, 180], failure: [40, 120], after: [120, 200] },
  },
  full: {
    minutes: 12,
    warmupSec: 1200,
    tenants: TWO,
    callsPerHour: 2_400,
    peaks: [{ multiplier: 2, phase: 'peak', rampSec: 30 }],
    phases: { calm: [0, 120], peak: [120, 600], failure: [240, 420], after: [420, 720] },
  },
  faults: [{ kind: 'cti-primary-down', phase: 'failure', failAfterMs: 50 }],
  expectations: [
    { kind: 'level-stays-at-most', level: 0, phase: 'calm' },
    { kind: 'breaker-reaches', key: 'cti:cti-primary', state: 'open', phase: 'failure', withinTicks: 15 },
    { kind: 'level-reaches', level: 1, phase: 'failure', withinTicks: 20 },
    { kind: 'routes-around', node: 'cti-primary', phase: 'failure', afterTicks: 20, maxShare: 0.1 },
    { kind: 'breaker-reaches', key: 'cti:cti-primary', state: 'closed', phase: 'after', withinTicks: 60 },
    { kind: 'every-call-answered' },
    { kind: 'nothing-lost' },
  ],
};

/** ClickHouse inserts take seconds for a while. */
export const clickhouseSlow: ScenarioDefinition = {
  name: 'clickhouse-slow',
  title: 'ClickHouse slowing down',
  description:
    "Every insert waits 4 s (scenario time) before reaching chDB for a while. Consumption slows and a backlog builds; routing, which never touches ClickHouse, keeps answering; when inserts are fast again the backlog drains and nothing is lost. The worker's own consumer-lag figure (the control loop's engine-health signal) counts from the first message of the batch in flight, so it grows while an insert stalls (the lag chart shows it beside the rig's); engine health alone weighs too little to raise the level.",
  seed: 14,
  short: {
    minutes: 130 / 60,
    warmupSec: 600,
    tenants: ONE,
    callsPerHour: 1_200,
    phases: { calm: [0, 10], slow: [10, 60], after: [60, 130] },
  },
  full: {
    minutes: 10,
    warmupSec: 1200,
    tenants: TWO,
    callsPerHour: 2_400,
    phases: { calm: [0, 120], slow: [120, 300], after: [300, 600] },
  },
  faults: [{ kind: 'clickhouse-slow', phase: 'slow', delayMs: 4_000 }],
  expectations: [
    { kind: 'lag-stays-below', ms: 2_000, phase: 'calm' },
    { kind: 'lag-reaches', ms: 5_000, phase: 'slow' },
    { kind: 'lag-recovers', ms: 2_000, after: 'slow', withinTicks: 40 },
    { kind: 'every-call-answered' },
    { kind: 'nothing-lost' },
  ],
};

/** The shared Redis goes away and comes back. */
export const redisOutage: ScenarioDefinition = {
  name: 'redis-outage',
  title: 'Redis outage',
  description:
    'The redis-server holding shared control state (and workflow state) is stopped for a while and started again, empty, as after a crash. The control loop should notice within a tick or two, keep deciding from its own signals (fail-static: every call still routed), then reconcile and lead again once Redis is back; telemetry is unaffected.',
  seed: 15,
  short: {
    store: 'memory',
    minutes: 1.5,
    warmupSec: 600,
    tenants: ONE,
    callsPerHour: 1_200,
    phases: { before: [0, 20], outage: [20, 50], after: [50, 90] },
  },
  full: {
    minutes: 6,
    warmupSec: 1200,
    tenants: TWO,
    callsPerHour: 2_400,
    phases: { before: [0, 60], outage: [60, 180], after: [180, 360] },
  },
  faults: [{ kind: 'redis-down', phase: 'outage' }],
  expectations: [
    { kind: 'fail-static', phase: 'outage', withinTicks: 2 },
    { kind: 'reconciles', after: 'outage', withinTicks: 30 },
    { kind: 'every-call-answered' },
    { kind: 'nothing-lost' },
  ],
};

/** Sustained load for a long time: memory and lag stay flat. */
export const soak: ScenarioDefinition = {
  name: 'soak',
  title: 'Sustained soak',
  description:
    'Steady traffic for a long run (several tenants). Window state is freed as the watermark passes, so memory should stay bounded after the first windows close, lag should stay low throughout, and nothing should be lost.',
  seed: 16,
  short: { store: 'memory', minutes: 2, warmupSec: 600, tenants: TWO, callsPerHour: 1_200, phases: { warmup: [0, 40], rest: [40, 120] } },
  full: {
    minutes: 30,
    warmupSec: 1200,
    tenants: ['acme', 'globex', 'initech'],
    callsPerHour: 2_400,
    phases: { warmup: [0, 600], rest: [600, 1_800] },
  },
  faults: [],
  expectations: [
    { kind: 'level-stays-at-most', level: 0, phase: 'rest' },
    { kind: 'memory-bounded', maxGrowthMb: 50, after: 'warmup' },
    { kind: 'lag-stays-below', ms: 2_000, phase: 'rest' },
    { kind: 'every-call-answered' },
    { kind: 'nothing-lost' },
  ],
};

/** Every scenario, in the order `npm run bench` runs them. */
export const SCENARIOS: readonly ScenarioDefinition[] = [steady, peak, ctiFailure, clickhouseSlow, redisOutage, soak];

/** The scenario called `name`; throws listing the known names. */
export function scenarioNamed(name: string): ScenarioDefinition {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`unknown scenario "${name}": one of ${SCENARIOS.map((x) => x.name).join(', ')}, or "all"`);
  return s;
}
