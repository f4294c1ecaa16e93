/**
 * Runs one scenario: the seeded traffic model feeds a {@link Rig} second by second (events to
 * ingest, offered calls to routing), faults switch on and off at their phases, a sample is
 * taken after every control tick, and the expectations are checked at the end.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { percentile } from '../machine.js';
import { startRedis, type RedisServer } from '../../services/redis.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { TrafficSimulation } from '../../simulator/model.js';
import { buildScenario } from '../../simulator/scenario.js';
import { checkExpectations, phaseOf } from './expect.js';
import { Rig, type RigServices } from './rig.js';
import { LIVE_HEAP_EVERY, type Fault, type ScenarioDefinition, type ScenarioResult, type TickSample } from './types.js';

/** Options of {@link runScenario}. */
export interface RunOptions {
  readonly variant: 'short' | 'full';
  /** Real Kafka / Redis instead of the embedded twins (a Redis outage always uses its own redis-server). */
  readonly services?: RigServices;
  /** Start of scenario time, epoch ms (default {@link scenarioStart} of now). */
  readonly start?: number;
  /** Called after every tick (progress bar, live figures). */
  readonly onTick?: (sample: TickSample, totalTicks: number) => void;
}

const DAY_MS = 86_400_000;

/**
 * Scenario time starts yesterday at 09:00 UTC: recent enough for the store's retention (raw
 * events older than the TTL would be dropped) and wholly in the past, so ingest accepts every
 * event time. The traffic is the same whatever the day (ids come from the seed).
 */
export function scenarioStart(wallNow: number): number {
  return Math.floor(wallNow / DAY_MS) * DAY_MS - DAY_MS + 9 * 3_600_000;
}

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap used after a full garbage collection, MB: what the process really holds. */
function liveHeapMb(): number {
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Pulls the model's events second by second. */
class Feed {
  readonly #it: Iterator<TelemetryEvent>;
  #next: IteratorResult<TelemetryEvent>;
  offered = 0;

  constructor(events: Iterable<TelemetryEvent>) {
    this.#it = events[Symbol.iterator]();
    this.#next = this.#it.next();
  }

  /** Events with ts < `until`, and the calls offered among them. */
  take(until: number): { events: TelemetryEvent[]; calls: { tenant: string; callId: string; skillGroup: string }[] } {
    const events: TelemetryEvent[] = [];
    const calls: { tenant: string; callId: string; skillGroup: string }[] = [];
    while (!this.#next.done && this.#next.value.ts < until) {
      const e = this.#next.value;
      events.push(e);
      if (e.source === 'skillgroup' && e.body.type === 'OFFERED')
        calls.push({ tenant: e.tenant, callId: e.body.callId, skillGroup: e.body.skillGroup });
      this.#next = this.#it.next();
    }
    this.offered += calls.length;
    return { events, calls };
  }
}

async function applyFaults(
  faults: readonly Fault[],
  phases: ScenarioDefinition['full']['phases'],
  second: number,
  rig: Rig,
  redis: RedisServer | undefined,
): Promise<void> {
  for (const f of faults) {
    const [from, to] = phaseOf(phases, f.phase);
    const on = second >= from && second < to;
    if (f.kind === 'cti-primary-down') rig.primaryFailAfterMs = on ? f.failAfterMs : undefined;
    if (f.kind === 'clickhouse-slow') rig.slow.delayMs = on ? f.delayMs : 0;
    if (f.kind === 'redis-down' && redis !== undefined) {
      if (second === from) await redis.halt();
      if (second === to) await redis.start();
    }
  }
}

/** Plays the warm-up in 30 s steps: events in, worker drained, clock moved (the control loop ticks on the way). */
async function warmUp(rig: Rig, feed: Feed, from: number, to: number): Promise<void> {
  rig.clock.advanceTo(from);
  for (let t = from; t < to; t += 30_000) {
    const until = Math.min(to, t + 30_000);
    const { events } = feed.take(until);
    if (events.length > 0) await rig.ingest(events);
    await rig.drain(30_000);
    await rig.advance(until - t);
  }
  feed.offered = 0;
}

/** Runs `def` in the given variant and checks its expectations. */
export async function runScenario(def: ScenarioDefinition, o: RunOptions): Promise<ScenarioResult> {
  const v = def[o.variant];
  const ticks = Math.round(v.minutes * 60);
  const start = o.start ?? scenarioStart(Date.now());
  const needsRedis = def.faults.some((f) => f.kind === 'redis-down');
  const redis = needsRedis ? await startRedis() : undefined;
  const wall0 = performance.now();
  const runId = `${def.name.replace(/\W/g, '_')}_${Date.now().toString(36)}`;
  const rig = await Rig.start({
    start: start - v.warmupSec * 1000,
    memoryStore: v.store === 'memory',
    tenants: v.tenants,
    runId,
    control: def.control,
    kafkaBrokers: o.services?.kafkaBrokers,
    redisUrl: redis?.url ?? o.services?.redisUrl,
  });
  const samples: TickSample[] = [];
  try {
    const peaks = (v.peaks ?? []).map((p) => {
      const [from, to] = phaseOf(v.phases, p.phase);
      return { start: start + from * 1000, durationMinutes: (to - from) / 60, multiplier: p.multiplier, rampMinutes: p.rampSec / 60 };
    });
    const modelStart = start - v.warmupSec * 1000;
    const feed = new Feed(
      new TrafficSimulation(
        buildScenario({
          seed: def.seed,
          start: modelStart,
          minutes: v.minutes + v.warmupSec / 60,
          tenants: v.tenants,
          callsPerHour: v.callsPerHour,
          peaks,
        }),
      ),
    );
    await warmUp(rig, feed, modelStart, start);
    const redisPhases = def.faults.filter((f) => f.kind === 'redis-down').map((f) => phaseOf(v.phases, f.phase));
    const feedSec = v.feedSec ?? 5;
    const pending: TelemetryEvent[] = [];
    for (let tick = 1; tick <= ticks; tick++) {
      const second = tick - 1;
      await applyFaults(def.faults, v.phases, second, rig, redis);
      const t0 = performance.now();
      const handled0 = rig.sluice.worker?.handled ?? 0;
      const { events, calls } = feed.take(start + tick * 1000);
      pending.push(...events);
      const routed = await rig.route(calls);
      if (tick % feedSec === 0 || tick === ticks) {
        if (pending.length > 0) await rig.ingest(pending.splice(0));
        await rig.drain();
      }
      // ioredis reconnects in wall time: give it some around an outage.
      if (redisPhases.some(([from, to]) => second >= from && second < to + 30)) await sleep(40);
      await rig.advance(1_000);
      const state = await rig.state();
      const levels: Record<string, number> = Object.fromEntries(v.tenants.map((t) => [t, 0]));
      let groupLevel = 0;
      let pressure = 0;
      let top: string | null = null;
      for (const l of state.levels) {
        if (l.skillGroup === undefined) {
          levels[l.tenant] = l.level;
          if ((l.pressure ?? 0) >= pressure) [pressure, top] = [l.pressure ?? 0, l.top ?? null];
        } else groupLevel = Math.max(groupLevel, l.level);
      }
      const worker = rig.sluice.worker;
      const lag = rig.lag();
      const wallSec = (performance.now() - t0) / 1000;
      const sample: TickSample = {
        tick,
        level: Math.max(0, ...Object.values(levels)),
        levels,
        groupLevel,
        pressure: Math.round(pressure * 1000) / 1000,
        top,
        targets: routed.targets,
        accepted: rig.accepted,
        handled: worker?.handled ?? 0,
        eventsPerSec: Math.round(((worker?.handled ?? 0) - handled0) / Math.max(wallSec, 1e-3)),
        lagMs: lag.ms,
        lagMessages: lag.messages,
        engineLagMs: worker?.lagMs(rig.clock.now()) ?? 0,
        breakers: Object.fromEntries(state.breakers.map((b) => [b.id, b.state])),
        reachable: state.shared.reachable,
        leader: state.shared.leader,
        routeP50Us: routed.latenciesUs.length ? percentile(routed.latenciesUs, 50) : 0,
        routeP99Us: routed.latenciesUs.length ? percentile(routed.latenciesUs, 99) : 0,
        heapMb: Math.round(process.memoryUsage().heapUsed / 1e5) / 10,
        ...(tick === 1 || tick % LIVE_HEAP_EVERY === 0 || tick === ticks ? { liveHeapMb: liveHeapMb() } : {}),
      };
      samples.push(sample);
      o.onTick?.(sample, ticks);
    }
    rig.slow.delayMs = 0;
    rig.primaryFailAfterMs = undefined;
    // Let delayed writes finish on the scenario clock, then everything accepted be stored.
    for (let i = 0; i < 30 && (rig.sluice.worker?.handled ?? 0) < rig.accepted; i++) {
      await rig.advance(1_000);
      await rig.drain(2_000);
    }
    const stored = await rig.stored(v.tenants, start, start + ticks * 1000 + 120_000);
    const totals = {
      accepted: rig.accepted,
      rejected: rig.rejected,
      stored: stored.events,
      offeredEvents: feed.offered,
      offeredInMinutes: stored.offered,
      calls: rig.calls,
      wallMs: Math.round(performance.now() - wall0),
    };
    const checks = checkExpectations(def.expectations, samples, totals, v.phases);
    const services = {
      bus: o.services?.kafkaBrokers ? 'kafka' : 'in-process',
      state: redis ? 'redis-server (own)' : o.services?.redisUrl ? 'redis' : 'in-memory',
      clickhouse: v.store === 'memory' ? 'in-memory twin (chDB idle)' : 'chDB (in-process)',
    };
    return {
      scenario: def.name,
      title: def.title,
      variant: o.variant,
      services,
      phases: v.phases,
      samples,
      totals,
      checks,
      pass: checks.every((c) => c.pass),
    };
  } finally {
    await rig.close().catch(() => {});
    await redis?.stop();
  }
}
