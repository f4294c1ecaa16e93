import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { systemClock } from '../../adapters/clock.js';
import { parseFlowSource } from '../../workflow/definition/load.js';
import { WorkflowEngine } from '../../workflow/engine/engine.js';
import { FlowCatalog } from '../../workflow/engine/flow-store.js';
import { MemoryPeopleDirectory } from '../../workflow/people/memory.js';
import { connectWorkflowRedis, WorkflowKeys } from '../../workflow/redis/connection.js';
import { RedisFlowRepository, RedisRoundRobinCounter } from '../../workflow/redis/flow-repository.js';
import { RedisTicketStore } from '../../workflow/redis/ticket-store.js';
import { meanPerOp, perOp, readCpu, redisCommands, redisServerPid, type CpuPerOp } from './cpu.js';

/** What one engine process is told to do. */
export interface InstanceSettings {
  /** Ticket operations through the engine, or the baseline: bare Redis round trips (PING) on the same connection settings. */
  readonly kind: 'tickets' | 'roundTrips';
  readonly redisUrl: string;
  /** Tickets this instance works on at once. */
  readonly concurrency: number;
  readonly tenants: readonly string[];
  /** Epoch ms the measured window opens (work before it is warm-up) and closes. */
  readonly measureFrom: number;
  readonly measureTo: number;
  /** Distinguishes this instance's call ids. */
  readonly instance: number;
}

/** What one engine process measured. */
export interface InstanceResult {
  readonly creates: number;
  readonly transitions: number;
  readonly ticketsClosed: number;
  readonly conflicts: number;
  /** Bare round trips (the baseline kind only). */
  readonly roundTrips: number;
  /** Wall seconds of the measured window. */
  readonly seconds: number;
  /** CPU seconds of the process inside the window. */
  readonly cpuSeconds: number;
  /** Per-operation latency samples inside the window, ms. */
  readonly latencies: number[];
}

/** Settings of {@link measureTicketOps}. */
export interface OpsSettings {
  readonly redisUrl: string;
  /** Engine instances, each a process of its own with its own Redis connection. */
  readonly engines: number;
  /** Tickets worked on at once across all engines. */
  readonly concurrency: number;
  /** Measured time, ms (after a warm-up of 3 s). */
  readonly durationMs: number;
  readonly tenants: readonly string[];
  /** Measured time of each baseline run (one before the ticket operations, one after), ms. */
  readonly baselineMs: number;
}

/** What {@link measureTicketOps} measured, summed over the instances. */
export interface OpsResult {
  /** Ticket creations plus transitions, per second. */
  readonly opsPerSec: number;
  readonly creates: number;
  readonly transitions: number;
  readonly ticketsClosed: number;
  /** Per-operation latency, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly conflicts: number;
  /** CPU per operation: the engine processes' (engine, ioredis, load generator) and redis-server's. */
  readonly cpu: CpuPerOp;
  /** Redis commands per operation (each script call and the commands it runs inside). */
  readonly redisCommandsPerOp: number;
  /** The baseline beside it: bare round trips at the same concurrency, mean of a run before and one after. */
  readonly baseline: RoundTripResult;
}

/** The baseline: bare Redis round trips (PING) from the same number of processes and in-flight requests. */
export interface RoundTripResult {
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpu: CpuPerOp;
  /** Each of the two runs (before, after), round trips per second. */
  readonly runsPerSec: readonly [number, number];
}

const KEYS = new WorkflowKeys('bench:ops:');

/** The q-quantile of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/**
 * One engine instance at work: each worker opens a fee-reduction ticket from the IVR
 * intent and approves it level by level until it closes (amounts below 500 need one
 * approval, up to 5000 two, above three). Every step is a compare-and-set write with
 * assignment, audit and SLA timer upkeep. Counts only what completes inside the window.
 */
export async function runInstance(s: InstanceSettings): Promise<InstanceResult> {
  if (s.kind === 'roundTrips') return runRoundTrips(s);
  const people = new MemoryPeopleDirectory();
  for (const t of s.tenants) {
    people.add(
      t,
      ...['ann', 'bob', 'cid', 'dee'].map((id) => ({ id, groups: ['billing-agents'] })),
      ...['max', 'mia'].map((id) => ({ id, groups: ['billing-managers'] })),
      { id: 'hal', groups: ['department-heads'] },
    );
  }
  const redis = await connectWorkflowRedis(s.redisUrl);
  const engine = new WorkflowEngine({
    tickets: new RedisTicketStore(redis, { keys: KEYS }),
    flows: new FlowCatalog(new RedisFlowRepository(redis, KEYS)),
    roundRobin: new RedisRoundRobinCounter(redis, KEYS),
    clock: systemClock,
    people,
  });
  const r = { creates: 0, transitions: 0, ticketsClosed: 0, conflicts: 0, latencies: [] as number[] };
  const inWindow = (t: number): boolean => t >= s.measureFrom && t < s.measureTo;
  const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; counted: boolean }> => {
    const t0 = performance.now();
    const value = await fn();
    const counted = inWindow(Date.now());
    if (counted) r.latencies.push(performance.now() - t0);
    return { value, counted };
  };
  let seq = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < s.measureTo) {
      const n = seq++;
      const tenant = s.tenants[n % s.tenants.length] as string;
      const amount = n % 10 < 6 ? 100 + (n % 300) : n % 10 < 9 ? 1_000 + (n % 3_000) : 10_000 + (n % 20_000);
      const created = await timed(() =>
        engine.createFromIvr({ tenant, intent: 'fee_reduction', callId: `i${s.instance}-${n}`, fields: { amount } }),
      );
      if (created.counted) r.creates++;
      let ticket = created.value.ticket;
      while (ticket.state !== 'closed' && Date.now() < s.measureTo) {
        const assignee = ticket.todos.find((t) => t.status === 'open' && t.visit === ticket.visit)?.assignee;
        if (assignee === undefined) throw new Error(`ticket ${ticket.id} at ${ticket.nodeId} has no assignee`);
        try {
          const acted = await timed(() =>
            engine.act(tenant, ticket.id, { type: 'approve', actor: { id: assignee } }, { expectedRevision: ticket.revision }),
          );
          if (acted.counted) r.transitions++;
          ticket = acted.value.ticket;
          if (acted.counted && ticket.state === 'closed') r.ticketsClosed++;
        } catch (err) {
          if ((err as { code?: string }).code !== 'SLUICE_ERR_TICKET_CONFLICT') throw err;
          r.conflicts++;
          ticket = await engine.get(tenant, ticket.id);
        }
      }
    }
  };
  const running = Array.from({ length: s.concurrency }, () => worker());
  await sleepUntil(s.measureFrom);
  const cpu0 = process.cpuUsage();
  await sleepUntil(s.measureTo);
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(running);
  await redis.quit();
  return { ...r, roundTrips: 0, seconds: (s.measureTo - s.measureFrom) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** The baseline instance: `concurrency` loops of `PING`, counted and timed like ticket operations. */
async function runRoundTrips(s: InstanceSettings): Promise<InstanceResult> {
  const redis = await connectWorkflowRedis(s.redisUrl);
  const latencies: number[] = [];
  let roundTrips = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < s.measureTo) {
      const t0 = performance.now();
      await redis.ping();
      if (Date.now() >= s.measureFrom && Date.now() < s.measureTo) {
        latencies.push(performance.now() - t0);
        roundTrips++;
      }
    }
  };
  const running = Array.from({ length: s.concurrency }, () => worker());
  await sleepUntil(s.measureFrom);
  const cpu0 = process.cpuUsage();
  await sleepUntil(s.measureTo);
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(running);
  await redis.quit();
  return {
    creates: 0,
    transitions: 0,
    ticketsClosed: 0,
    conflicts: 0,
    roundTrips,
    latencies,
    seconds: (s.measureTo - s.measureFrom) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Runs one instance in a child process (tsx loader), resolving with what it measured. */
function forkInstance(s: InstanceSettings): Promise<InstanceResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./instance.ts', import.meta.url), [JSON.stringify(s)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: InstanceResult | undefined;
    child.on('message', (m) => (result = m as InstanceResult));
    child.on('error', reject);
    child.on('exit', (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`engine instance ${s.instance} exited with code ${code}`)),
    );
  });
}

/** One measured window of `kind` across `s.engines` child processes, with redis-server's CPU and commands over it. */
async function phase(s: OpsSettings, redis: Redis, redisPid: number | undefined, kind: InstanceSettings['kind'], durationMs: number) {
  const measureFrom = Date.now() + 3_000 + 2_000; // process start-up, then warm-up
  const measureTo = measureFrom + durationMs;
  const per = Math.max(1, Math.round(s.concurrency / s.engines));
  const results = Promise.all(
    Array.from({ length: s.engines }, (_, instance) =>
      forkInstance({ kind, redisUrl: s.redisUrl, concurrency: per, tenants: s.tenants, measureFrom, measureTo, instance }),
    ),
  );
  await sleepUntil(measureFrom);
  const [cpu0, commands0] = [readCpu(redisPid), await redisCommands(redis)];
  await sleepUntil(measureTo);
  const [cpu1, commands1] = [readCpu(redisPid), await redisCommands(redis)];
  const all = await results;
  const sum = (f: (r: InstanceResult) => number): number => all.reduce((a, r) => a + f(r), 0);
  const ops = sum((r) => r.creates + r.transitions + r.roundTrips);
  const latencies = all.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    all,
    sum,
    ops,
    perSec: ops / (durationMs / 1000),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    // The engine processes measured their own CPU over the window; redis-server's is read here.
    cpu: perOp(cpu0, cpu1, ops, sum((r) => r.cpuSeconds) * 1000),
    commandsPerOp: ops > 0 ? (commands1 - commands0) / ops : Number.NaN,
  };
}

/**
 * Ticket creations and transitions per second through the real engine on Redis, with
 * `engines` instances in processes of their own sharing one redis-server (the design's
 * scale-out model), measured over one common window; before and after it the baseline,
 * bare round trips from as many processes with as many in flight.
 */
export async function measureTicketOps(s: OpsSettings): Promise<OpsResult> {
  const redis = await connectWorkflowRedis(s.redisUrl);
  const redisPid = await redisServerPid(redis);
  const doc = parseFlowSource(readFileSync(new URL('../../workflow/flows/fee-reduction.yaml', import.meta.url), 'utf8'), 'yaml') as Record<
    string,
    unknown
  >;
  const catalog = new FlowCatalog(new RedisFlowRepository(redis, KEYS));
  for (const tenant of s.tenants) await catalog.deploy({ ...doc, tenant }, { tenant });
  const before = await phase(s, redis, redisPid, 'roundTrips', s.baselineMs);
  const t = await phase(s, redis, redisPid, 'tickets', s.durationMs);
  const after = await phase(s, redis, redisPid, 'roundTrips', s.baselineMs);
  await redis.quit();
  const mean = (x: number, y: number) => (x + y) / 2;
  return {
    opsPerSec: t.perSec,
    creates: t.sum((r) => r.creates),
    transitions: t.sum((r) => r.transitions),
    ticketsClosed: t.sum((r) => r.ticketsClosed),
    conflicts: t.sum((r) => r.conflicts),
    p50Ms: t.p50Ms,
    p99Ms: t.p99Ms,
    cpu: t.cpu,
    redisCommandsPerOp: t.commandsPerOp,
    baseline: {
      perSec: mean(before.perSec, after.perSec),
      p50Ms: mean(before.p50Ms, after.p50Ms),
      p99Ms: mean(before.p99Ms, after.p99Ms),
      cpu: meanPerOp(before.cpu, after.cpu),
      runsPerSec: [Math.round(before.perSec), Math.round(after.perSec)],
    },
  };
}
