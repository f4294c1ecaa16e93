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
import { RedisTimerStore } from '../../workflow/redis/timer-store.js';

/** What one engine process is told to do. */
export interface InstanceSettings {
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
  /** CPU time of the engine processes per operation, ms (engine, ioredis, load generator). */
  readonly nodeCpuMsPerOp: number;
  /** CPU time of redis-server per operation, ms. */
  readonly redisCpuMsPerOp: number;
}

const KEYS = new WorkflowKeys('bench:ops:');

/** The q-quantile of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** CPU seconds redis-server used so far (user + system). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/**
 * One engine instance at work: each worker opens a fee-reduction ticket from the IVR
 * intent and approves it level by level until it closes (amounts below 500 need one
 * approval, up to 5000 two, above three). Every step is a compare-and-set write with
 * assignment, audit and SLA timer upkeep. Counts only what completes inside the window.
 */
export async function runInstance(s: InstanceSettings): Promise<InstanceResult> {
  const people = new MemoryPeopleDirectory();
  for (const t of s.tenants) {
    people.add(t, ...['ann', 'bob', 'cid', 'dee'].map((id) => ({ id, groups: ['billing-agents'] })), ...['max', 'mia'].map((id) => ({ id, groups: ['billing-managers'] })), { id: 'hal', groups: ['department-heads'] });
  }
  const redis = await connectWorkflowRedis(s.redisUrl);
  const engine = new WorkflowEngine({
    tickets: new RedisTicketStore(redis, { keys: KEYS }),
    flows: new FlowCatalog(new RedisFlowRepository(redis, KEYS)),
    timers: new RedisTimerStore(redis, { keys: KEYS }),
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
      const created = await timed(() => engine.createFromIvr({ tenant, intent: 'fee_reduction', callId: `i${s.instance}-${n}`, fields: { amount } }));
      if (created.counted) r.creates++;
      let ticket = created.value.ticket;
      while (ticket.state !== 'closed' && Date.now() < s.measureTo) {
        const assignee = ticket.todos.find((t) => t.status === 'open' && t.visit === ticket.visit)?.assignee;
        if (assignee === undefined) throw new Error(`ticket ${ticket.id} at ${ticket.nodeId} has no assignee`);
        try {
          const acted = await timed(() => engine.act(tenant, ticket.id, { type: 'approve', actor: { id: assignee } }, { expectedRevision: ticket.revision }));
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
  return { ...r, seconds: (s.measureTo - s.measureFrom) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Runs one instance in a child process (tsx loader), resolving with what it measured. */
function forkInstance(s: InstanceSettings): Promise<InstanceResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./instance.ts', import.meta.url), [JSON.stringify(s)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: InstanceResult | undefined;
    child.on('message', (m) => (result = m as InstanceResult));
    child.on('error', reject);
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`engine instance ${s.instance} exited with code ${code}`))));
  });
}

/**
 * Ticket creations and transitions per second through the real engine on Redis, with
 * `engines` instances in processes of their own sharing one redis-server (the design's
 * scale-out model), measured over one common window.
 */
export async function measureTicketOps(s: OpsSettings): Promise<OpsResult> {
  const redis = await connectWorkflowRedis(s.redisUrl);
  const doc = parseFlowSource(readFileSync(new URL('../../workflow/flows/fee-reduction.yaml', import.meta.url), 'utf8'), 'yaml') as Record<string, unknown>;
  const catalog = new FlowCatalog(new RedisFlowRepository(redis, KEYS));
  for (const tenant of s.tenants) await catalog.deploy({ ...doc, tenant }, { tenant });
  const measureFrom = Date.now() + 3_000 + 2_000; // process start-up, then warm-up
  const measureTo = measureFrom + s.durationMs;
  const per = Math.max(1, Math.round(s.concurrency / s.engines));
  const results = Promise.all(Array.from({ length: s.engines }, (_, instance) => forkInstance({ redisUrl: s.redisUrl, concurrency: per, tenants: s.tenants, measureFrom, measureTo, instance })));
  await sleepUntil(measureFrom);
  const redis0 = await redisCpuSeconds(redis);
  await sleepUntil(measureTo);
  const redisCpu = (await redisCpuSeconds(redis)) - redis0;
  const all = await results;
  await redis.quit();
  const sum = (f: (r: InstanceResult) => number): number => all.reduce((a, r) => a + f(r), 0);
  const ops = sum((r) => r.creates + r.transitions);
  const latencies = all.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    opsPerSec: ops / (s.durationMs / 1000),
    creates: sum((r) => r.creates),
    transitions: sum((r) => r.transitions),
    ticketsClosed: sum((r) => r.ticketsClosed),
    conflicts: sum((r) => r.conflicts),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    nodeCpuMsPerOp: (sum((r) => r.cpuSeconds) * 1000) / ops,
    redisCpuMsPerOp: (redisCpu * 1000) / ops,
  };
}
